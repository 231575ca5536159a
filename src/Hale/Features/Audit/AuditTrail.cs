using System.Security.Claims;
using Hale.Data;

namespace Hale.Features.Audit;

/// <summary>
/// Adds audit events to the current unit of work; they are chained and committed with the change
/// they describe when the DbContext saves. A read records its event and saves it at once.
/// </summary>
public sealed class AuditTrail(HaleDbContext db, IHttpContextAccessor http, TimeProvider clock)
{
    /// <param name="actor">Who acted, when it is not the signed-in user (for example the account signing in).</param>
    public void Add(string action, string resourceType, string? resourceId, Guid? patientId, string outcome = AuditOutcome.Success, (Guid Id, string Role)? actor = null)
    {
        var context = http.HttpContext;
        var user = context?.User;
        db.AuditEvents.Add(new AuditEvent
        {
            At = clock.GetUtcNow().UtcDateTime,
            UserId = actor?.Id ?? (user?.FindFirstValue(ClaimTypes.NameIdentifier) is { } id && Guid.TryParse(id, out var userId) ? userId : null),
            Role = actor?.Role ?? user?.FindFirstValue(ClaimTypes.Role) ?? (context is null ? "system" : "anonymous"),
            PatientId = patientId,
            Action = action,
            ResourceType = resourceType,
            ResourceId = resourceId,
            Outcome = outcome,
            ClientAddress = context?.Connection.RemoteIpAddress?.ToString(),
            CorrelationId = context?.TraceIdentifier,
        });
    }

    /// <summary>Records and commits an event on its own (for reads, and for denials).</summary>
    public async Task RecordAsync(string action, string resourceType, string? resourceId, Guid? patientId, string outcome = AuditOutcome.Success, (Guid Id, string Role)? actor = null, CancellationToken cancellationToken = default)
    {
        Add(action, resourceType, resourceId, patientId, outcome, actor);
        await db.SaveChangesAsync(cancellationToken);
    }
}

public static class AuditRefusal
{
    /// <summary>The outcome for a request answered "not found": denied when the thing exists but is not the caller's.</summary>
    public static string Outcome(bool exists) => exists ? AuditOutcome.Denied : AuditOutcome.NotFound;
}

/// <summary>
/// Marks a page or endpoint that reads or writes patient data. A test enumerates every marked
/// endpoint and proves it writes an audit row; another proves that no unmarked endpoint touches patient data.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class AuditedAttribute(string action) : Attribute
{
    public string Action { get; } = action;
}
