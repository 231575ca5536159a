using System.Security.Cryptography;
using System.Text;
using Hale.Data;
using Hale.Features.Audit;
using Hale.Features.Patients;
using Hale.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Account;

/// <summary>Creates staff accounts, invites patients and activates invitations; used by the admin page and the CLI.</summary>
public sealed class Accounts(
    HaleDbContext db,
    UserManager<HaleUser> users,
    AuditTrail audit,
    FieldEncryptor encryptor,
    IHttpContextAccessor http,
    TimeProvider clock,
    HaleOptions options,
    ILogger<Accounts> logger)
{
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromHours(72);

    public sealed record Created(HaleUser User, string? ActivationLink, IReadOnlyDictionary<string, string> Errors)
    {
        public bool Succeeded => Errors.Count == 0;
    }

    public sealed record PatientDetails(string GivenName, string FamilyName, DateOnly? BirthDate, IReadOnlyList<Guid> CareTeam);

    /// <summary>A staff account; with no password it gets an activation link instead.</summary>
    public async Task<Created> AddStaffAsync(Guid practiceId, string role, string email, string name, string? password, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Roles.Staff.Contains(role))
        {
            errors["Role"] = $"Choose one of: {string.Join(", ", Roles.Staff)}.";
        }
        ValidateIdentity(email, name, errors);
        if (errors.Count > 0)
        {
            return new Created(null!, null, errors);
        }
        return await CreateAsync(practiceId, role, email.Trim(), name.Trim(), password, null, cancellationToken);
    }

    public async Task<Created> InvitePatientAsync(Guid practiceId, string email, PatientDetails details, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        ValidateIdentity(email, $"{details.GivenName} {details.FamilyName}".Trim(), errors);
        if (string.IsNullOrWhiteSpace(details.GivenName))
        {
            errors["GivenName"] = "Enter the patient's first name.";
        }
        if (string.IsNullOrWhiteSpace(details.FamilyName))
        {
            errors["FamilyName"] = "Enter the patient's last name.";
        }
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (details.BirthDate is { } birth && (birth > today || birth < today.AddYears(-130)))
        {
            errors["BirthDate"] = "Enter a real date of birth.";
        }
        var validTeam = await db.Users.Where(u => details.CareTeam.Contains(u.Id) && u.PracticeId == practiceId && Roles.CareTeam.Contains(u.Role))
            .Select(u => u.Id).ToListAsync(cancellationToken);
        if (validTeam.Count != details.CareTeam.Distinct().Count())
        {
            errors["CareTeam"] = "Choose clinicians and nurses of this practice.";
        }
        if (errors.Count > 0)
        {
            return new Created(null!, null, errors);
        }
        return await CreateAsync(practiceId, Roles.Patient, email.Trim(), $"{details.GivenName.Trim()} {details.FamilyName.Trim()}", null, details with { CareTeam = validTeam }, cancellationToken);
    }

    public async Task<Invitation?> FindInvitationAsync(string token, CancellationToken cancellationToken = default)
    {
        var hash = HashToken(token);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Invitations.SingleOrDefaultAsync(i => i.TokenHash == hash && i.UsedAt == null && i.ExpiresAt > now, cancellationToken);
    }

    /// <summary>Sets the password for an invited account and uses up the link. Returns errors for the password field, or none.</summary>
    public async Task<IReadOnlyList<string>?> ActivateAsync(string token, string password, CancellationToken cancellationToken = default)
    {
        var invitation = await FindInvitationAsync(token, cancellationToken);
        if (invitation is null)
        {
            return null;
        }
        var user = await users.FindByIdAsync(invitation.UserId.ToString());
        if (user is null)
        {
            return null;
        }
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, user, password);
            if (!check.Succeeded)
            {
                return [.. check.Errors.Select(e => e.Description)];
            }
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var result = await users.AddPasswordAsync(user, password);
        if (!result.Succeeded)
        {
            return [.. result.Errors.Select(e => e.Description)];
        }
        user.EmailConfirmed = true;
        await users.UpdateAsync(user);
        invitation.UsedAt = clock.GetUtcNow().UtcDateTime;
        invitation.TokenCipher = null; // a used link is never sent again
        invitation.KeyId = null;
        var patientId = await db.Patients.Where(p => p.UserId == user.Id).Select(p => (Guid?)p.Id).SingleOrDefaultAsync(cancellationToken);
        audit.Add("account.activate", "User", user.Id.ToString(), patientId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Log.Activated(logger, user.Id);
        return [];
    }

    /// <summary>A fresh link for an account that has not been activated (the old links stop working).</summary>
    public async Task<string?> ReinviteAsync(Guid userId, Guid practiceId, CancellationToken cancellationToken = default)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == userId && u.PracticeId == practiceId && u.PasswordHash == null, cancellationToken);
        if (user is null)
        {
            return null;
        }
        var now = clock.GetUtcNow().UtcDateTime;
        await encryptor.ActiveKeyIdAsync(cancellationToken); // see CreateAsync
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Invitations.Where(i => i.UserId == userId && i.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ExpiresAt, now).SetProperty(i => i.TokenCipher, (byte[]?)null), cancellationToken);
        var link = await AddInvitationAsync(user.Id, now, cancellationToken);
        var patientId = await db.Patients.Where(p => p.UserId == user.Id).Select(p => (Guid?)p.Id).SingleOrDefaultAsync(cancellationToken);
        audit.Add("invitation.reissue", "User", user.Id.ToString(), patientId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return link;
    }

    private static void ValidateIdentity(string email, string name, Dictionary<string, string> errors)
    {
        if (string.IsNullOrWhiteSpace(email) || !System.Net.Mail.MailAddress.TryCreate(email.Trim(), out var parsed) || parsed.Address != email.Trim())
        {
            errors["Email"] = "Enter an e-mail address like name@example.com.";
        }
        if (string.IsNullOrWhiteSpace(name))
        {
            errors["Name"] = "Enter the person's name.";
        }
        else if (name.Length > 200)
        {
            errors["Name"] = "Keep the name to 200 characters or fewer.";
        }
    }

    private async Task<Created> CreateAsync(Guid practiceId, string role, string email, string name, string? password, PatientDetails? patient, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var user = new HaleUser
        {
            Id = Guid.CreateVersion7(),
            UserName = email,
            Email = email,
            DisplayName = name,
            Role = role,
            PracticeId = practiceId,
            CreatedAt = now,
            EmailConfirmed = password is not null,
        };
        // Before the transaction: the first data key is created through another connection, which must not
        // wait on this transaction's write lock.
        await encryptor.ActiveKeyIdAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var result = password is null ? await users.CreateAsync(user) : await users.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            var errors = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var error in result.Errors)
            {
                var field = error.Code.Contains("Email", StringComparison.Ordinal) || error.Code.Contains("UserName", StringComparison.Ordinal) ? "Email"
                    : error.Code.Contains("Password", StringComparison.Ordinal) ? "Password" : "";
                var message = field == "Email" && error.Code.StartsWith("Duplicate", StringComparison.Ordinal)
                    ? "An account with this e-mail address already exists."
                    : error.Description;
                errors.TryAdd(field, message);
            }
            return new Created(user, null, errors);
        }
        Guid? patientId = null;
        if (patient is not null)
        {
            var record = new Patient
            {
                Id = Guid.CreateVersion7(),
                PracticeId = practiceId,
                UserId = user.Id,
                GivenName = patient.GivenName.Trim(),
                FamilyName = patient.FamilyName.Trim(),
                BirthDate = patient.BirthDate,
                CreatedAt = now,
            };
            record.CareTeam.AddRange(patient.CareTeam.Select(id => new CareTeamMember { PatientId = record.Id, StaffUserId = id }));
            db.Patients.Add(record);
            patientId = record.Id;
        }
        var link = password is null ? await AddInvitationAsync(user.Id, now, cancellationToken) : null;
        audit.Add(patient is null ? "user.create" : "patient.invite", patient is null ? "User" : "Patient", (patientId ?? user.Id).ToString(), patientId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Log.UserCreated(logger, user.Id, role);
        return new Created(user, link, new Dictionary<string, string>());
    }

    private async Task<string> AddInvitationAsync(Guid userId, DateTime now, CancellationToken cancellationToken)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var id = Guid.CreateVersion7();
        var sealedToken = await encryptor.EncryptAsync(token, InvitationContext(id), cancellationToken);
        db.Invitations.Add(new Invitation
        {
            Id = id,
            UserId = userId,
            TokenHash = HashToken(token),
            TokenCipher = sealedToken.Cipher,
            KeyId = sealedToken.KeyId,
            CreatedAt = now,
            ExpiresAt = now + InvitationLifetime,
            CreatedByUserId = CurrentUser.From(http.HttpContext?.User ?? new())?.Id,
        });
        return ActivationLink(token);
    }

    /// <summary>The link for an invitation not yet delivered or used, for the mail sender; null once it is spent.</summary>
    public async Task<string?> LinkForDeliveryAsync(Invitation invitation, CancellationToken cancellationToken = default) =>
        invitation is { TokenCipher: { } cipher, KeyId: { } keyId, UsedAt: null }
            ? ActivationLink(await encryptor.DecryptStringAsync(cipher, keyId, InvitationContext(invitation.Id), cancellationToken))
            : null;

    private string ActivationLink(string token) => $"{options.PublicBaseUrl.TrimEnd('/')}/account/activate/{token}";

    private static string InvitationContext(Guid id) => $"invitation:{id:N}";

    private static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
