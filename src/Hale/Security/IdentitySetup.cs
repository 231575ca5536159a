using System.Security.Claims;
using Hale.Data;
using Hale.Features.Account;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Hale.Security;

public static class IdentitySetup
{
    public static IServiceCollection AddHaleIdentity(this IServiceCollection services)
    {
        services.AddIdentity<HaleUser, IdentityRole<Guid>>(o =>
            {
                // NIST SP 800-63B: length and a block list, not composition rules.
                o.Password.RequiredLength = PasswordRules.MinimumLength;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 4;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.User.RequireUniqueEmail = true;
                o.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<HaleDbContext>()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<HaleClaimsFactory>()
            .AddPasswordValidator<PasswordRules>();

        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "hale";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/account/sign-in";
            o.LogoutPath = "/account/sign-out";
            o.AccessDeniedPath = "/account/sign-in";
            o.ExpireTimeSpan = TimeSpan.FromMinutes(30);
            o.SlidingExpiration = true;
        });
        // Identity's validator refreshes claims and re-issues the cookie; every few minutes is plenty for that.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(5));
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .PostConfigure(o =>
            {
                var refresh = o.Events.OnValidatePrincipal;
                o.Events.OnValidatePrincipal = async context =>
                {
                    if (!await StampStillValidAsync(context))
                    {
                        context.RejectPrincipal();
                        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
                        return;
                    }
                    await refresh(context);
                };
            });
        return services;
    }

    /// <summary>One indexed read per request: does the cookie's security stamp still match the account's?</summary>
    private static async Task<bool> StampStillValidAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var stampClaim = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        if (context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier) is not { } id || !Guid.TryParse(id, out var userId)
            || context.Principal.FindFirstValue(stampClaim) is not { } stamp)
        {
            return false;
        }
        var db = services.GetRequiredService<HaleDbContext>();
        var current = await db.Users.Where(u => u.Id == userId).Select(u => u.SecurityStamp).SingleOrDefaultAsync(context.HttpContext.RequestAborted);
        return string.Equals(current, stamp, StringComparison.Ordinal);
    }
}

internal sealed class HaleClaimsFactory(
    UserManager<HaleUser> users,
    RoleManager<IdentityRole<Guid>> roles,
    IOptions<IdentityOptions> options,
    HaleDbContext db)
    : UserClaimsPrincipalFactory<HaleUser, IdentityRole<Guid>>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(HaleUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(ClaimTypes.Role, user.Role));
        identity.AddClaim(new Claim(CurrentUser.PracticeClaim, user.PracticeId.ToString()));
        identity.AddClaim(new Claim(CurrentUser.DisplayNameClaim, user.DisplayName));
        if (user.Role == Roles.Patient)
        {
            var patientId = await db.Patients.Where(p => p.UserId == user.Id).Select(p => (Guid?)p.Id).SingleOrDefaultAsync();
            if (patientId is { } id)
            {
                identity.AddClaim(new Claim(CurrentUser.PatientClaim, id.ToString()));
            }
        }
        return identity;
    }
}

/// <summary>Length plus a block list of common passwords and the user's own name or e-mail.</summary>
public sealed class PasswordRules : IPasswordValidator<HaleUser>
{
    public const int MinimumLength = 10;
    private static readonly Lazy<HashSet<string>> Common = new(LoadCommon);

    public Task<IdentityResult> ValidateAsync(UserManager<HaleUser> manager, HaleUser user, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Task.FromResult(IdentityResult.Success); // the length rule reports it
        }
        var lowered = password.ToLowerInvariant();
        if (Common.Value.Contains(lowered))
        {
            return Failed("CommonPassword", "This password is too common. Choose a longer phrase that is unique to you.");
        }
        var local = user.Email?.Split('@')[0].ToLowerInvariant();
        if ((local is { Length: >= 4 } && lowered.Contains(local, StringComparison.Ordinal))
            || user.DisplayName.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(n => n.Length >= 4 && lowered.Contains(n.ToLowerInvariant(), StringComparison.Ordinal)))
        {
            return Failed("PersonalPassword", "The password must not contain your name or e-mail address.");
        }
        return Task.FromResult(IdentityResult.Success);
    }

    private static Task<IdentityResult> Failed(string code, string description) =>
        Task.FromResult(IdentityResult.Failed(new IdentityError { Code = code, Description = description }));

    private static HashSet<string> LoadCommon()
    {
        using var stream = typeof(PasswordRules).Assembly.GetManifestResourceStream("Hale.Security.common-passwords.txt")
            ?? throw new InvalidOperationException("The common-password list is not embedded.");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                set.Add(line.Trim().ToLowerInvariant());
            }
        }
        return set;
    }
}
