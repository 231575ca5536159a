using Hale.Data;
using Hale.Features.Audit;
using Hale.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace Hale.Features.Messaging;

[Audited("attachment.read")]
public sealed class AttachmentModel(HaleDbContext db, FieldEncryptor encryptor, AuditTrail audit) : PageModel
{
    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        var me = CurrentUser.Require(User);
        var attachment = await (
                from a in db.Attachments.AsNoTracking()
                join t in db.Threads.VisibleTo(me) on a.ThreadId equals t.Id
                where a.Id == id
                select new { a.Id, a.ContentCipher, a.FileNameCipher, a.KeyId, a.ContentType, t.PatientId })
            .SingleOrDefaultAsync(cancellationToken);
        if (attachment is null)
        {
            var exists = await db.Attachments.AnyAsync(a => a.Id == id, cancellationToken);
            await audit.RecordAsync("attachment.read", "Attachment", id.ToString(), null, AuditRefusal.Outcome(exists), cancellationToken: cancellationToken);
            return NotFound();
        }
        var content = await encryptor.DecryptAsync(attachment.ContentCipher, attachment.KeyId, Contexts.AttachmentContent(attachment.Id), cancellationToken);
        var name = await encryptor.DecryptStringAsync(attachment.FileNameCipher, attachment.KeyId, Contexts.AttachmentName(attachment.Id), cancellationToken);
        await audit.RecordAsync("attachment.read", "Attachment", attachment.Id.ToString(), attachment.PatientId, cancellationToken: cancellationToken);
        // Always a download, never rendered in our origin: a PDF or image cannot run script here.
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(name);
        Response.Headers.ContentDisposition = disposition.ToString();
        return File(content, attachment.ContentType);
    }
}
