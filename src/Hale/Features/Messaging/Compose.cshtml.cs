using Hale.Data;
using Hale.Features.Audit;
using Hale.Features.Patients;
using Hale.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Messaging;

[Audited("thread.create")]
[RequestFormLimits(MultipartBodyLengthLimit = MessageRules.MaxRequestBytes)]
[RequestSizeLimit(MessageRules.MaxRequestBytes)]
public sealed class ComposeModel(HaleDbContext db, MessageSender sender, DraftStore drafts) : PageModel
{
    public sealed record ClinicianOption(Guid Id, string Name);

    [BindProperty]
    public MessageTopic? Topic { get; set; }

    [BindProperty]
    public Guid? ClinicianId { get; set; }

    [BindProperty]
    public string? Subject { get; set; }

    [BindProperty]
    public string? Body { get; set; }

    [BindProperty]
    public Guid IdempotencyKey { get; set; }

    [BindProperty]
    public List<IFormFile> Attachments { get; set; } = [];

    public IReadOnlyList<ClinicianOption> Clinicians { get; private set; } = [];
    public Practice Practice { get; private set; } = null!;
    public bool AttachmentsNeedChoosingAgain { get; private set; }
    public bool DraftRestored { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        if (!me.IsPatient)
        {
            return NotFound();
        }
        await LoadChoicesAsync(me, cancellationToken);
        if (await drafts.LoadAsync(me, null, me.PatientId, cancellationToken) is { } draft)
        {
            (Topic, ClinicianId, Subject, Body) = (draft.Topic, draft.ClinicianId, draft.Subject, draft.Body);
            DraftRestored = true;
        }
        if (ClinicianId is null && Clinicians.Count == 1)
        {
            ClinicianId = Clinicians[0].Id;
        }
        IdempotencyKey = Guid.NewGuid();
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        if (!me.IsPatient)
        {
            return NotFound();
        }
        if (IdempotencyKey == Guid.Empty)
        {
            return BadRequest(); // every Hale form carries one; without it a retry could not be recognised
        }
        var files = await FormFiles.ReadAsync(Attachments, cancellationToken);
        var result = await sender.StartThreadAsync(me, new NewThreadInput(Topic, ClinicianId, Subject), Body, files, IdempotencyKey, cancellationToken);
        if (!result.Succeeded)
        {
            foreach (var (field, error) in result.Errors)
            {
                ModelState.AddModelError(field, error);
            }
            AttachmentsNeedChoosingAgain = files.Count > 0;
            await LoadChoicesAsync(me, cancellationToken);
            return Page();
        }
        TempData["Status"] = "Your message was sent. Your care team will reply here.";
        return Redirect($"/messages/{result.ThreadId}");
    }

    public async Task<IActionResult> OnPostSaveDraftAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        if (!me.IsPatient)
        {
            return NotFound();
        }
        await drafts.SaveAsync(me, null, me.PatientId, new DraftStore.DraftContent(Topic, ClinicianId, Subject, Body), IdempotencyKey, cancellationToken);
        if (FormFiles.IsBackgroundSave(Request))
        {
            return new NoContentResult();
        }
        TempData["Status"] = "Your message was saved as a draft. It will be here when you come back.";
        return Redirect("/messages/new");
    }

    private async Task LoadChoicesAsync(CurrentUser me, CancellationToken cancellationToken)
    {
        Practice = await db.Practices.AsNoTracking().SingleAsync(p => p.Id == me.PracticeId, cancellationToken);
        var ids = await sender.CareTeamCliniciansAsync(me.PatientId ?? Guid.Empty, cancellationToken);
        Clinicians = await db.Users.Where(u => ids.Contains(u.Id)).OrderBy(u => u.DisplayName)
            .Select(u => new ClinicianOption(u.Id, u.DisplayName)).ToListAsync(cancellationToken);
    }
}
