using Hale.Data;
using Hale.Features.Account;
using Hale.Features.Audit;
using Hale.Security;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Messaging;

/// <summary>
/// The one place a message is stored: validates, encrypts subject, body and attachments, and commits
/// the message, the thread's new state, the sender's read mark and the audit event in one transaction.
/// A repeated idempotency key returns the message already stored instead of storing it twice.
/// </summary>
public sealed class MessageSender(
    HaleDbContext db,
    FieldEncryptor encryptor,
    AuditTrail audit,
    TimeProvider clock,
    ILogger<MessageSender> logger)
{
    public async Task<SendResult> StartThreadAsync(CurrentUser sender, NewThreadInput input, string? body, IReadOnlyList<IncomingFile> files, Guid idempotencyKey, CancellationToken cancellationToken = default)
    {
        if (!sender.IsPatient || sender.PatientId is not { } patientId)
        {
            return SendResult.NotFound;
        }
        if (await ExistingAsync(sender, idempotencyKey, cancellationToken) is { } existing)
        {
            return existing;
        }

        body = NormalizeLineBreaks(body);
        var errors = ValidateBody(body, files);
        var subject = input.Subject?.Trim();
        if (input.Topic is null || !Enum.IsDefined(input.Topic.Value))
        {
            errors["Topic"] = "Choose what your message is about.";
        }
        if (string.IsNullOrEmpty(subject))
        {
            errors["Subject"] = "Enter a subject.";
        }
        else if (subject.Length > MessageRules.MaxSubjectLength)
        {
            errors["Subject"] = $"Keep the subject to {MessageRules.MaxSubjectLength} characters or fewer (it has {subject.Length}).";
        }
        var careTeam = await CareTeamCliniciansAsync(patientId, cancellationToken);
        if (input.ClinicianId is not { } clinicianId || !careTeam.Contains(clinicianId))
        {
            errors["ClinicianId"] = "Choose who on your care team should get this message.";
        }
        if (errors.Count > 0)
        {
            Log.MessageRejected(logger, sender.Id, errors.Count);
            return SendResult.Invalid(errors);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var keyId = await encryptor.ActiveKeyIdAsync(cancellationToken);
        var thread = new MessageThread
        {
            Id = Guid.CreateVersion7(),
            PatientId = patientId,
            Topic = input.Topic!.Value,
            ClinicianId = input.ClinicianId,
            SubjectCipher = [],
            KeyId = keyId,
            CreatedByUserId = sender.Id,
            CreatedAt = now,
        };
        thread.SubjectCipher = await encryptor.EncryptWithAsync(keyId, subject!, Contexts.ThreadSubject(thread.Id), cancellationToken);
        db.Threads.Add(thread);
        thread.LastMessageAt = now;
        thread.MessageCount = 1;
        return await StoreAsync(sender, thread, isNew: true, body!, files, idempotencyKey, keyId, now, cancellationToken);
    }

    public async Task<SendResult> ReplyAsync(CurrentUser sender, Guid threadId, string? body, IReadOnlyList<IncomingFile> files, Guid idempotencyKey, CancellationToken cancellationToken = default)
    {
        var thread = await db.Threads.VisibleTo(sender).SingleOrDefaultAsync(t => t.Id == threadId, cancellationToken);
        if (thread is null)
        {
            var exists = await db.Threads.AnyAsync(t => t.Id == threadId, cancellationToken);
            await audit.RecordAsync("message.create", "Thread", threadId.ToString(), null, AuditRefusal.Outcome(exists), cancellationToken: cancellationToken);
            return SendResult.NotFound;
        }
        body = NormalizeLineBreaks(body);
        var errors = ValidateBody(body, files);
        if (errors.Count > 0)
        {
            Log.MessageRejected(logger, sender.Id, errors.Count);
            return SendResult.Invalid(errors);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var keyId = await encryptor.ActiveKeyIdAsync(cancellationToken);
        return await StoreAsync(sender, thread, isNew: false, body!, files, idempotencyKey, keyId, now, cancellationToken);
    }

    public async Task<IReadOnlyList<Guid>> CareTeamCliniciansAsync(Guid patientId, CancellationToken cancellationToken) =>
        await (from m in db.CareTeamMembers
               join u in db.Users on m.StaffUserId equals u.Id
               where m.PatientId == patientId && u.Role == Roles.Clinician
               select u.Id).ToListAsync(cancellationToken);

    private static Dictionary<string, string> ValidateBody(string? body, IReadOnlyList<IncomingFile> files)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(body))
        {
            errors["Body"] = "Write your message before sending.";
        }
        else if (body.Length > MessageRules.MaxBodyLength)
        {
            errors["Body"] = $"Your message is {body.Length:N0} characters; the limit is {MessageRules.MaxBodyLength:N0}. Shorten it or send it in two parts.";
        }
        if (files.Count > MessageRules.MaxAttachments)
        {
            errors["Attachments"] = $"Attach at most {MessageRules.MaxAttachments} files (you chose {files.Count}).";
        }
        else
        {
            foreach (var file in files)
            {
                var name = MessageRules.SafeFileName(file.FileName);
                if (file.Length > MessageRules.MaxAttachmentBytes || file.Content.LongLength > MessageRules.MaxAttachmentBytes)
                {
                    errors["Attachments"] = $"\"{name}\" is larger than 10 MB. Attach a smaller file.";
                    break;
                }
                if (file.Content.Length == 0 || MessageRules.DetectContentType(file.Content) is null)
                {
                    errors["Attachments"] = $"\"{name}\" is not a PDF, PNG, JPEG or HEIC file. Only photos and PDFs can be attached.";
                    break;
                }
            }
        }
        return errors;
    }

    private async Task<SendResult?> ExistingAsync(CurrentUser sender, Guid idempotencyKey, CancellationToken cancellationToken)
    {
        var existing = await db.Messages.AsNoTracking()
            .Where(m => m.SenderUserId == sender.Id && m.IdempotencyKey == idempotencyKey)
            .Select(m => new { m.Id, m.ThreadId })
            .SingleOrDefaultAsync(cancellationToken);
        if (existing is null)
        {
            return null;
        }
        Log.DuplicateSubmission(logger, existing.Id);
        return new SendResult(existing.ThreadId, existing.Id, Duplicate: true, new Dictionary<string, string>());
    }

    private async Task<SendResult> StoreAsync(CurrentUser sender, MessageThread thread, bool isNew, string body, IReadOnlyList<IncomingFile> files,
        Guid idempotencyKey, string keyId, DateTime now, CancellationToken cancellationToken)
    {
        var message = new Message
        {
            Id = Guid.CreateVersion7(),
            ThreadId = thread.Id,
            SenderUserId = sender.Id,
            SenderRole = sender.Role,
            SentAt = now,
            BodyCipher = [],
            KeyId = keyId,
            IdempotencyKey = idempotencyKey,
        };
        message.BodyCipher = await encryptor.EncryptWithAsync(keyId, body, Contexts.MessageBody(message.Id), cancellationToken);
        foreach (var file in files)
        {
            var attachmentId = Guid.CreateVersion7();
            message.Attachments.Add(new MessageAttachment
            {
                Id = attachmentId,
                ThreadId = thread.Id,
                ContentType = MessageRules.DetectContentType(file.Content)!,
                Length = file.Content.LongLength,
                FileNameCipher = await encryptor.EncryptWithAsync(keyId, MessageRules.SafeFileName(file.FileName), Contexts.AttachmentName(attachmentId), cancellationToken),
                ContentCipher = await encryptor.EncryptWithAsync(keyId, file.Content, Contexts.AttachmentContent(attachmentId), cancellationToken),
                KeyId = keyId,
            });
        }

        try
        {
            // One transaction: the message, the thread's counters, the sender's read mark, the spent draft
            // and the audit event commit together or not at all.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (!isNew)
            {
                // Counted in SQL, not read-modify-write: concurrent replies must not lose an increment.
                await db.Threads.Where(t => t.Id == thread.Id).ExecuteUpdateAsync(u => u
                    .SetProperty(t => t.MessageCount, t => t.MessageCount + 1)
                    .SetProperty(t => t.LastMessageAt, t => t.LastMessageAt > now ? t.LastMessageAt : now), cancellationToken);
            }
            await db.Drafts.Where(d => d.UserId == sender.Id && d.ThreadId == (isNew ? null : thread.Id)).ExecuteDeleteAsync(cancellationToken);
            db.Messages.Add(message);
            if (isNew)
            {
                db.ThreadReadStates.Add(new ThreadReadState { UserId = sender.Id, ThreadId = thread.Id, LastReadAt = now });
            }
            else
            {
                await ReadMarks.MarkAsync(db, sender.Id, thread.Id, now, cancellationToken);
            }
            audit.Add(isNew ? "thread.create" : "message.create", "Message", message.Id.ToString(), thread.PatientId);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A resubmit, a retry or a double click: the unique (sender, idempotency key) index let only the first in.
            // Checked here rather than before every insert, so the common case costs no extra query.
            db.ChangeTracker.Clear();
            if (await ExistingAsync(sender, idempotencyKey, cancellationToken) is { } winner)
            {
                return winner;
            }
            throw;
        }
        Log.MessageSent(logger, message.Id, thread.Id, files.Count);
        return new SendResult(thread.Id, message.Id, Duplicate: false, new Dictionary<string, string>());
    }

    /// <summary>Browsers send CRLF; counted and stored as LF so the limit matches what the text area counted.</summary>
    private static string? NormalizeLineBreaks(string? body) => body?.ReplaceLineEndings("\n");
}

/// <summary>Associated data for each encrypted field: binds a ciphertext to its row and column.</summary>
public static class Contexts
{
    public static string ThreadSubject(Guid id) => $"thread-subject:{id:N}";
    public static string MessageBody(Guid id) => $"message-body:{id:N}";
    public static string AttachmentName(Guid id) => $"attachment-name:{id:N}";
    public static string AttachmentContent(Guid id) => $"attachment:{id:N}";
    public static string Draft(Guid id) => $"draft:{id:N}";
}
