using Hale.Data;
using Hale.Features.Account;
using Hale.Features.Audit;
using Hale.Features.Patients;
using Hale.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Messaging;

[Audited("thread.read")]
[RequestFormLimits(MultipartBodyLengthLimit = MessageRules.MaxRequestBytes)]
[RequestSizeLimit(MessageRules.MaxRequestBytes)]
public sealed class ThreadModel(
    HaleDbContext db,
    FieldEncryptor encryptor,
    AuditTrail audit,
    MessageSender sender,
    DraftStore drafts,
    TimeProvider clock) : PageModel
{
    public sealed record AttachmentView(Guid Id, string FileName, string ContentType, long Length);

    public sealed record MessageView(Guid Id, string SenderName, string SenderRole, bool Mine, DateTime SentAt, string Body, IReadOnlyList<AttachmentView> Attachments);

    public sealed record PatientBanner(string Name, int? Age, DateOnly? BirthDate);

    [FromRoute]
    public Guid Id { get; set; }

    [BindProperty]
    public string? Body { get; set; }

    [BindProperty]
    public Guid IdempotencyKey { get; set; }

    [BindProperty]
    public List<IFormFile> Attachments { get; set; } = [];

    public string Subject { get; private set; } = "";
    public MessageTopic Topic { get; private set; }
    public IReadOnlyList<MessageView> Messages { get; private set; } = [];
    public PatientBanner? Patient { get; private set; }
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;
    public Practice? Practice { get; private set; }
    public bool AttachmentsNeedChoosingAgain { get; private set; }
    public Guid PatientId { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        if (!await LoadAsync(me, markRead: true, cancellationToken))
        {
            return NotFound();
        }
        IdempotencyKey = Guid.NewGuid();
        Body = (await drafts.LoadAsync(me, Id, PatientId, cancellationToken))?.Body;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        if (IdempotencyKey == Guid.Empty)
        {
            return BadRequest(); // every Hale form carries one; without it a retry could not be recognised
        }
        var files = await FormFiles.ReadAsync(Attachments, cancellationToken);
        var result = await sender.ReplyAsync(me, Id, Body, files, IdempotencyKey, cancellationToken);
        if (result.ThreadNotFound)
        {
            return NotFound();
        }
        if (!result.Succeeded)
        {
            foreach (var (field, error) in result.Errors)
            {
                ModelState.AddModelError(field, error);
            }
            AttachmentsNeedChoosingAgain = files.Count > 0;
            await LoadAsync(me, markRead: false, cancellationToken);
            return Page();
        }
        TempData["Status"] = "Your message was sent.";
        return Redirect($"/messages/{result.ThreadId}#m-{result.MessageId}");
    }

    public async Task<IActionResult> OnPostSaveDraftAsync(CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        var patientId = await db.Threads.VisibleTo(me).Where(t => t.Id == Id).Select(t => (Guid?)t.PatientId).SingleOrDefaultAsync(cancellationToken);
        if (patientId is null)
        {
            var exists = await db.Threads.AnyAsync(t => t.Id == Id, cancellationToken);
            await audit.RecordAsync("draft.save", "Thread", Id.ToString(), null, AuditRefusal.Outcome(exists), cancellationToken: cancellationToken);
            return NotFound();
        }
        await drafts.SaveAsync(me, Id, patientId, new DraftStore.DraftContent(null, null, null, Body), IdempotencyKey, cancellationToken);
        if (FormFiles.IsBackgroundSave(Request))
        {
            return new NoContentResult();
        }
        TempData["Status"] = "Your reply was saved as a draft.";
        return Redirect($"/messages/{Id}#reply");
    }

    private async Task<bool> LoadAsync(CurrentUser me, bool markRead, CancellationToken cancellationToken)
    {
        var thread = await db.Threads.VisibleTo(me).AsNoTracking()
            .Include(t => t.Patient)
            .SingleOrDefaultAsync(t => t.Id == Id, cancellationToken);
        if (thread is null)
        {
            var exists = await db.Threads.AnyAsync(t => t.Id == Id, cancellationToken);
            await audit.RecordAsync("thread.read", "Thread", Id.ToString(), null, AuditRefusal.Outcome(exists), cancellationToken: cancellationToken);
            return false;
        }
        PatientId = thread.PatientId;
        Practice = await db.Practices.AsNoTracking().SingleAsync(p => p.Id == me.PracticeId, cancellationToken);
        Zone = Practice.TimeZoneInfo;
        Subject = await encryptor.DecryptStringAsync(thread.SubjectCipher, thread.KeyId, Contexts.ThreadSubject(thread.Id), cancellationToken);
        Topic = thread.Topic;
        if (!me.IsPatient && thread.Patient is { } p)
        {
            Patient = new PatientBanner(p.FullName, p.AgeOn(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), Zone).DateTime)), p.BirthDate);
        }

        var rows = await (
                from m in db.Messages.AsNoTracking()
                where m.ThreadId == thread.Id
                join u in db.Users on m.SenderUserId equals u.Id
                orderby m.SentAt
                select new { m.Id, m.SentAt, m.BodyCipher, m.KeyId, m.SenderUserId, m.SenderRole, u.DisplayName })
            .ToListAsync(cancellationToken);
        var attachments = await db.Attachments.AsNoTracking().Where(a => a.ThreadId == thread.Id)
            .Select(a => new { a.Id, a.MessageId, a.FileNameCipher, a.KeyId, a.ContentType, a.Length })
            .ToListAsync(cancellationToken);
        var views = new List<MessageView>(rows.Count);
        foreach (var m in rows)
        {
            var files = new List<AttachmentView>();
            foreach (var a in attachments.Where(a => a.MessageId == m.Id))
            {
                files.Add(new AttachmentView(a.Id, await encryptor.DecryptStringAsync(a.FileNameCipher, a.KeyId, Contexts.AttachmentName(a.Id), cancellationToken), a.ContentType, a.Length));
            }
            var body = await encryptor.DecryptStringAsync(m.BodyCipher, m.KeyId, Contexts.MessageBody(m.Id), cancellationToken);
            views.Add(new MessageView(m.Id, m.DisplayName, Roles.Label(m.SenderRole), m.SenderUserId == me.Id, m.SentAt, body, files));
        }
        Messages = views;

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (markRead && rows.Count > 0)
        {
            // Read up to the newest message shown, not "now": a reply that commits a moment later stays unread.
            await ReadMarks.MarkAsync(db, me.Id, thread.Id, rows[^1].SentAt, cancellationToken);
        }
        audit.Add("thread.read", "Thread", thread.Id.ToString(), thread.PatientId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
