using Hale.Data;
using Hale.Features.Account;
using Hale.Features.Audit;
using Hale.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Administration;

[Authorize(Roles = Roles.Admin)]
[Audited("user.list")]
public sealed class UsersModel(HaleDbContext db, Accounts accounts, AuditTrail audit) : PageModel
{
    public sealed record UserRow(Guid Id, string Name, string Email, string Role, bool Activated);

    public sealed record StaffOption(Guid Id, string Name, string Role);

    public IReadOnlyList<UserRow> Users { get; private set; } = [];
    public IReadOnlyList<StaffOption> CareTeamStaff { get; private set; } = [];

    [BindProperty] public string? StaffName { get; set; }
    [BindProperty] public string? StaffEmail { get; set; }
    [BindProperty] public string? StaffRole { get; set; }

    [BindProperty] public string? GivenName { get; set; }
    [BindProperty] public string? FamilyName { get; set; }
    [BindProperty] public string? PatientEmail { get; set; }
    [BindProperty] public DateOnly? BirthDate { get; set; }
    [BindProperty] public List<Guid> CareTeam { get; set; } = [];

    public string? ActivationLink { get; private set; }
    public string? ActivationFor { get; private set; }
    public string? FormWithErrors { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostStaffAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        var created = await accounts.AddStaffAsync(me.PracticeId, StaffRole ?? "", StaffEmail ?? "", StaffName ?? "", null, cancellationToken);
        if (!created.Succeeded)
        {
            FormWithErrors = "staff";
            foreach (var (field, error) in created.Errors)
            {
                ModelState.AddModelError("Staff" + (field is "" ? "Email" : field), error);
            }
        }
        else
        {
            ActivationFor = created.User.DisplayName;
            ActivationLink = created.ActivationLink;
            (StaffName, StaffEmail, StaffRole) = (null, null, null);
            ModelState.Clear();
        }
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostPatientAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        var created = await accounts.InvitePatientAsync(me.PracticeId, PatientEmail ?? "",
            new Accounts.PatientDetails(GivenName ?? "", FamilyName ?? "", BirthDate, CareTeam), cancellationToken);
        if (!created.Succeeded)
        {
            FormWithErrors = "patient";
            foreach (var (field, error) in created.Errors)
            {
                ModelState.AddModelError(field switch { "Email" or "" => nameof(PatientEmail), "Name" => nameof(GivenName), _ => field }, error);
            }
        }
        else
        {
            ActivationFor = created.User.DisplayName;
            ActivationLink = created.ActivationLink;
            (GivenName, FamilyName, PatientEmail, BirthDate) = (null, null, null, null);
            CareTeam = [];
            ModelState.Clear();
        }
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostReinviteAsync(Guid userId, CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        var link = await accounts.ReinviteAsync(userId, me.PracticeId, cancellationToken);
        if (link is null)
        {
            return NotFound();
        }
        ActivationFor = await db.Users.Where(u => u.Id == userId).Select(u => u.DisplayName).SingleAsync(cancellationToken);
        ActivationLink = link;
        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        Users = await db.Users.Where(u => u.PracticeId == me.PracticeId)
            .OrderBy(u => u.Role == Roles.Patient).ThenBy(u => u.DisplayName)
            .Select(u => new UserRow(u.Id, u.DisplayName, u.Email ?? "", u.Role, u.PasswordHash != null))
            .ToListAsync(cancellationToken);
        CareTeamStaff = Users.Where(u => Roles.CareTeam.Contains(u.Role)).Select(u => new StaffOption(u.Id, u.Name, u.Role)).ToList();
        // The list shows patients' names and e-mail addresses: a read of patient data.
        await audit.RecordAsync("user.list", "User", null, null, cancellationToken: cancellationToken);
    }
}
