using System.Security.Claims;
using Hale.Features.Account;

namespace Hale.Security;

/// <summary>The signed-in user as the rules see them, read from the cookie's claims.</summary>
public sealed record CurrentUser(Guid Id, string Role, Guid PracticeId, Guid? PatientId, string DisplayName)
{
    public const string PracticeClaim = "hale:practice";
    public const string PatientClaim = "hale:patient";
    public const string DisplayNameClaim = "hale:name";

    public bool IsPatient => Role == Roles.Patient;
    public bool IsCareTeamRole => Roles.CareTeam.Contains(Role);

    public static CurrentUser? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true
            || !Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            || principal.FindFirstValue(ClaimTypes.Role) is not { } role
            || !Guid.TryParse(principal.FindFirstValue(PracticeClaim), out var practice))
        {
            return null;
        }
        Guid? patient = Guid.TryParse(principal.FindFirstValue(PatientClaim), out var p) ? p : null;
        return new CurrentUser(id, role, practice, patient, principal.FindFirstValue(DisplayNameClaim) ?? "");
    }

    public static CurrentUser Require(ClaimsPrincipal principal) =>
        From(principal) ?? throw new InvalidOperationException("This page requires a signed-in Hale user.");
}
