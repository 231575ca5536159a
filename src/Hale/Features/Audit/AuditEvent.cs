using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hale.Features.Audit;

/// <summary>
/// One auditable event (ONC (d)(2), (d)(10); HIPAA 164.312(b)). Ids and codes only, never message text.
/// Rows are append-only and hash-chained: <see cref="Hash"/> covers every field and the previous row's hash.
/// </summary>
public sealed class AuditEvent
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>Position in the chain: 1, 2, 3… with no gaps; unique, so two writers can never fork the chain.</summary>
    public long Sequence { get; set; }
    public DateTime At { get; set; }
    public Guid? UserId { get; set; }
    public required string Role { get; set; }
    public Guid? PatientId { get; set; }
    public required string Action { get; set; }
    public required string ResourceType { get; set; }
    public string? ResourceId { get; set; }
    public required string Outcome { get; set; }
    public string? ClientAddress { get; set; }
    public string? CorrelationId { get; set; }
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";
}

public static class AuditOutcome
{
    public const string Success = "success";

    /// <summary>The user asked for something that exists but is not theirs; they were shown "not found".</summary>
    public const string Denied = "denied";

    public const string NotFound = "not-found";
    public const string Failure = "failure";
    public const string LockedOut = "locked-out";
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        builder.HasKey(a => a.Id);
        builder.HasIndex(a => a.Sequence).IsUnique();
        builder.Property(a => a.Role).HasMaxLength(20);
        builder.Property(a => a.Action).HasMaxLength(60);
        builder.Property(a => a.ResourceType).HasMaxLength(60);
        builder.Property(a => a.ResourceId).HasMaxLength(100);
        builder.Property(a => a.Outcome).HasMaxLength(20);
        builder.Property(a => a.ClientAddress).HasMaxLength(64);
        builder.Property(a => a.CorrelationId).HasMaxLength(64);
        builder.Property(a => a.PreviousHash).HasMaxLength(64);
        builder.Property(a => a.Hash).HasMaxLength(64);
        builder.HasIndex(a => new { a.PatientId, a.At });
        builder.HasIndex(a => new { a.UserId, a.At });
    }
}
