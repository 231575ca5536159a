namespace Hale.Security;

/// <summary>
/// Every log line Hale writes. Parameters are ids, counts and codes: never a name, e-mail address,
/// subject, body, file name or anything else a patient wrote (docs/security.md).
/// </summary>
public static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Message {MessageId} sent in thread {ThreadId} with {AttachmentCount} attachments")]
    public static partial void MessageSent(ILogger logger, Guid messageId, Guid threadId, int attachmentCount);

    [LoggerMessage(1001, LogLevel.Information, "Duplicate submission for message {MessageId} ignored (idempotency key reused)")]
    public static partial void DuplicateSubmission(ILogger logger, Guid messageId);

    [LoggerMessage(1002, LogLevel.Warning, "Rejected message from user {UserId}: {ErrorCount} validation errors")]
    public static partial void MessageRejected(ILogger logger, Guid userId, int errorCount);

    [LoggerMessage(1100, LogLevel.Information, "User {UserId} signed in")]
    public static partial void SignedIn(ILogger logger, Guid userId);

    [LoggerMessage(1101, LogLevel.Warning, "Failed sign-in (locked out: {LockedOut})")]
    public static partial void SignInFailed(ILogger logger, bool lockedOut);

    [LoggerMessage(1102, LogLevel.Information, "User {UserId} activated their account")]
    public static partial void Activated(ILogger logger, Guid userId);

    [LoggerMessage(1103, LogLevel.Information, "User {UserId} created with role {Role}")]
    public static partial void UserCreated(ILogger logger, Guid userId, string role);

    [LoggerMessage(1200, LogLevel.Information, "Applied {Count} database migrations ({Provider})")]
    public static partial void Migrated(ILogger logger, int count, string provider);

    [LoggerMessage(1201, LogLevel.Information, "Demo practice seeded: {Patients} patients, {Threads} threads")]
    public static partial void DemoSeeded(ILogger logger, int patients, int threads);

    [LoggerMessage(1202, LogLevel.Warning, "This database holds the demo practice, whose accounts share a published password. Do not use it for real patients.")]
    public static partial void DemoAccountsPresent(ILogger logger);

    [LoggerMessage(1300, LogLevel.Error, "Unhandled error (correlation {CorrelationId})")]
    public static partial void Unhandled(ILogger logger, Exception exception, string correlationId);
}
