using System.Text.Json;
using Hale.Data;
using Hale.Features.Audit;
using Hale.Security;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Messaging;

/// <summary>Drafts: kept on the server, encrypted like messages, never in browser storage.</summary>
public sealed class DraftStore(HaleDbContext db, FieldEncryptor encryptor, AuditTrail audit, TimeProvider clock)
{
    public sealed record DraftContent(MessageTopic? Topic, Guid? ClinicianId, string? Subject, string? Body);

    private sealed record Payload(string? Subject, string? Body);

    /// <param name="patientId">The patient the draft is about, for the audit trail.</param>
    public async Task<DraftContent?> LoadAsync(CurrentUser user, Guid? threadId, Guid? patientId, CancellationToken cancellationToken = default)
    {
        var draft = await db.Drafts.AsNoTracking().Where(d => d.UserId == user.Id && d.ThreadId == threadId)
            .OrderByDescending(d => d.UpdatedAt).FirstOrDefaultAsync(cancellationToken);
        if (draft is null)
        {
            return null;
        }
        if (await SentAsync(user, draft.IdempotencyKey, cancellationToken))
        {
            // An autosave landed after its form was sent: the text is in the thread, not a draft.
            await db.Drafts.Where(d => d.Id == draft.Id).ExecuteDeleteAsync(cancellationToken);
            return null;
        }
        var json = await encryptor.DecryptAsync(draft.ContentCipher, draft.KeyId, Contexts.Draft(draft.Id), cancellationToken);
        await audit.RecordAsync("draft.read", "Draft", draft.Id.ToString(), patientId, cancellationToken: cancellationToken);
        var payload = JsonSerializer.Deserialize<Payload>(json);
        return new DraftContent(draft.Topic, draft.ClinicianId, payload?.Subject, payload?.Body);
    }

    /// <summary>
    /// Saves (or replaces) the user's draft for a thread, or for a new message when <paramref name="threadId"/> is null.
    /// An autosave that arrives after its form was sent (same idempotency key) is ignored, so a sent message never comes back as a draft.
    /// </summary>
    public async Task SaveAsync(CurrentUser user, Guid? threadId, Guid? patientId, DraftContent content, Guid idempotencyKey, CancellationToken cancellationToken = default)
    {
        if (await SentAsync(user, idempotencyKey, cancellationToken))
        {
            return;
        }
        var subject = content.Subject is { Length: > MessageRules.MaxSubjectLength * 2 } s ? s[..(MessageRules.MaxSubjectLength * 2)] : content.Subject;
        var body = content.Body is { Length: > MessageRules.MaxBodyLength * 2 } b ? b[..(MessageRules.MaxBodyLength * 2)] : content.Body;
        var drafts = await db.Drafts.Where(d => d.UserId == user.Id && d.ThreadId == threadId).ToListAsync(cancellationToken);
        var draft = drafts.FirstOrDefault();
        db.Drafts.RemoveRange(drafts.Skip(1));
        if (draft is null)
        {
            draft = new MessageDraft { Id = Guid.CreateVersion7(), UserId = user.Id, ThreadId = threadId, ContentCipher = [], KeyId = "" };
            db.Drafts.Add(draft);
        }
        var sealedValue = await encryptor.EncryptAsync(JsonSerializer.SerializeToUtf8Bytes(new Payload(subject, body)), Contexts.Draft(draft.Id), cancellationToken);
        draft.ContentCipher = sealedValue.Cipher;
        draft.KeyId = sealedValue.KeyId;
        draft.Topic = content.Topic is { } t && Enum.IsDefined(t) ? t : null;
        draft.ClinicianId = content.ClinicianId;
        draft.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        draft.IdempotencyKey = idempotencyKey;
        audit.Add("draft.save", "Draft", draft.Id.ToString(), patientId);
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<bool> SentAsync(CurrentUser user, Guid idempotencyKey, CancellationToken cancellationToken) =>
        idempotencyKey != Guid.Empty
        && await db.Messages.AnyAsync(m => m.SenderUserId == user.Id && m.IdempotencyKey == idempotencyKey, cancellationToken);
}
