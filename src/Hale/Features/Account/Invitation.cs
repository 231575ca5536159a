using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hale.Features.Account;

/// <summary>
/// A one-time activation link. Durable so that a mail sender can pick up undelivered rows
/// (<see cref="DeliveredAt"/> is null) once e-mail delivery exists: the token is kept encrypted
/// (<see cref="TokenCipher"/>) until the link is delivered or used, and looked up by its hash.
/// </summary>
public sealed class Invitation
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public required string TokenHash { get; set; }

    /// <summary>The token sealed with a data key (context <c>invitation:{Id}</c>); cleared once delivered or used.</summary>
    public byte[]? TokenCipher { get; set; }

    public string? KeyId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    public Guid? CreatedByUserId { get; set; }
}

internal sealed class InvitationConfiguration : IEntityTypeConfiguration<Invitation>
{
    public void Configure(EntityTypeBuilder<Invitation> builder)
    {
        builder.Property(i => i.TokenHash).HasMaxLength(64);
        builder.Property(i => i.KeyId).HasMaxLength(40);
        builder.HasIndex(i => i.TokenHash).IsUnique();
        builder.HasIndex(i => i.DeliveredAt);
        builder.HasOne<HaleUser>().WithMany().HasForeignKey(i => i.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
