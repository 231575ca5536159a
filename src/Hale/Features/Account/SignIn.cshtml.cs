using System.ComponentModel.DataAnnotations;
using Hale.Features.Audit;
using Hale.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hale.Features.Account;

[AllowAnonymous]
public sealed class SignInModel(SignInManager<HaleUser> signIn, UserManager<HaleUser> users, AuditTrail audit, ILogger<SignInModel> logger) : PageModel
{
    /// <summary>One answer for an unknown e-mail, a wrong password and a locked account, so the form cannot be used to find accounts.</summary>
    public const string FailureMessage = "The e-mail address or password is not right. Check them and try again.";

    // A real hash to verify against when the account does not exist, so both paths cost the same time.
    private static readonly Lazy<string> DummyHash = new(() =>
        new PasswordHasher<HaleUser>().HashPassword(new HaleUser { DisplayName = "", Role = "" }, Guid.NewGuid().ToString()));

    [BindProperty]
    [Required(ErrorMessage = "Enter your e-mail address.")]
    [Display(Name = "E-mail address")]
    public string? Email { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Enter your password.")]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public IActionResult OnGet()
    {
        if (CurrentUser.From(User) is not null)
        {
            return LocalRedirect(SafeReturnUrl());
        }
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var user = await users.FindByEmailAsync(Email!.Trim());
        if (user is null)
        {
            SpendHashingTime(Password!);
            Log.SignInFailed(logger, lockedOut: false);
            await audit.RecordAsync("session.sign-in", "User", null, null, AuditOutcome.Failure);
            ModelState.AddModelError(string.Empty, FailureMessage);
            return Page();
        }
        var result = await signIn.PasswordSignInAsync(user, Password!, isPersistent: false, lockoutOnFailure: true);
        if (result.IsLockedOut || user.PasswordHash is null)
        {
            // Identity answers these without hashing; spend the same time so timing does not reveal the account.
            SpendHashingTime(Password!);
        }
        if (!result.Succeeded)
        {
            Log.SignInFailed(logger, result.IsLockedOut);
            await audit.RecordAsync("session.sign-in", "User", user.Id.ToString(), null, result.IsLockedOut ? AuditOutcome.LockedOut : AuditOutcome.Failure, actor: (user.Id, user.Role));
            ModelState.AddModelError(string.Empty, FailureMessage);
            return Page();
        }
        Log.SignedIn(logger, user.Id);
        await audit.RecordAsync("session.sign-in", "User", user.Id.ToString(), null, actor: (user.Id, user.Role));
        return LocalRedirect(SafeReturnUrl());
    }

    private static void SpendHashingTime(string password) =>
        new PasswordHasher<HaleUser>().VerifyHashedPassword(new HaleUser { DisplayName = "", Role = "" }, DummyHash.Value, password);

    private string SafeReturnUrl() =>
        !string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/";
}
