using Hale.Features.Account;
using Hale.Features.Patients;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hale.Features.Messaging;

public enum MessageTopic
{
    MedicalQuestion = 1,
    Prescription = 2,
    Appointment = 3,
    Billing = 4,
    Other = 5,
}

public static class MessageTopics
{
    public static string Label(MessageTopic topic) => topic switch
    {
        MessageTopic.MedicalQuestion => "Medical question",
        MessageTopic.Prescription => "Prescription",
        MessageTopic.Appointment => "Appointment",
        MessageTopic.Billing => "Billing",
        MessageTopic.Other => "Other",
        _ => topic.ToString(),
    };
}

/// <summary>A conversation between one patient and their care team. The subject is encrypted at rest.</summary>
public sealed class MessageThread
{
    public Guid Id { get; set; }
    public Guid PatientId { get; set; }
    public Patient? Patient { get; set; }
    public MessageTopic Topic { get; set; }

    /// <summary>The clinician the patient addressed; the whole care team can still read and answer.</summary>
    public Guid? ClinicianId { get; set; }

    public required byte[] SubjectCipher { get; set; }
    public required string KeyId { get; set; }
    public Guid CreatedByUserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime LastMessageAt { get; set; }
    public int MessageCount { get; set; }
    public List<Message> Messages { get; set; } = [];
}

/// <summary>One message; part of the legal record, so never updated or deleted. The body is encrypted at rest.</summary>
public sealed class Message
{
    public Guid Id { get; set; }
    public Guid ThreadId { get; set; }
    public Guid SenderUserId { get; set; }
    public required string SenderRole { get; set; }
    public DateTime SentAt { get; set; }
    public required byte[] BodyCipher { get; set; }
    public required string KeyId { get; set; }

    /// <summary>From the compose form: a resubmit, double click or retry carries the same key and stores nothing new.</summary>
    public Guid IdempotencyKey { get; set; }

    public List<MessageAttachment> Attachments { get; set; } = [];
}

/// <summary>A photo or PDF; its bytes and its file name are encrypted at rest.</summary>
public sealed class MessageAttachment
{
    public Guid Id { get; set; }
    public Guid MessageId { get; set; }
    public Guid ThreadId { get; set; }
    public required byte[] FileNameCipher { get; set; }
    public required string ContentType { get; set; }
    public long Length { get; set; }
    public required byte[] ContentCipher { get; set; }
    public required string KeyId { get; set; }
}

/// <summary>When a user last read a thread; a thread whose last message is newer is unread for them.</summary>
public sealed class ThreadReadState
{
    public Guid ThreadId { get; set; }
    public Guid UserId { get; set; }
    public DateTime LastReadAt { get; set; }
}

/// <summary>A message being written. One draft per user per thread (or per user for a new thread). Encrypted like a message.</summary>
public sealed class MessageDraft
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }

    /// <summary>Null for a new thread.</summary>
    public Guid? ThreadId { get; set; }

    public MessageTopic? Topic { get; set; }
    public Guid? ClinicianId { get; set; }
    public required byte[] ContentCipher { get; set; }
    public required string KeyId { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>The idempotency key of the form the draft came from: once a message with it exists, the draft is spent.</summary>
    public Guid IdempotencyKey { get; set; }
}

internal sealed class MessageThreadConfiguration : IEntityTypeConfiguration<MessageThread>
{
    public void Configure(EntityTypeBuilder<MessageThread> builder)
    {
        builder.ToTable("Threads");
        builder.Property(t => t.KeyId).HasMaxLength(40);
        builder.Property(t => t.Topic).HasConversion<int>();
        builder.HasIndex(t => new { t.PatientId, t.LastMessageAt });
        builder.HasOne(t => t.Patient).WithMany().HasForeignKey(t => t.PatientId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<HaleUser>().WithMany().HasForeignKey(t => t.ClinicianId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(t => t.Messages).WithOne().HasForeignKey(m => m.ThreadId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> builder)
    {
        builder.Property(m => m.KeyId).HasMaxLength(40);
        builder.Property(m => m.SenderRole).HasMaxLength(20);
        builder.HasIndex(m => new { m.ThreadId, m.SentAt });
        builder.HasIndex(m => new { m.SenderUserId, m.IdempotencyKey }).IsUnique();
        builder.HasOne<HaleUser>().WithMany().HasForeignKey(m => m.SenderUserId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(m => m.Attachments).WithOne().HasForeignKey(a => a.MessageId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class MessageAttachmentConfiguration : IEntityTypeConfiguration<MessageAttachment>
{
    public void Configure(EntityTypeBuilder<MessageAttachment> builder)
    {
        builder.ToTable("Attachments");
        builder.Property(a => a.KeyId).HasMaxLength(40);
        builder.Property(a => a.ContentType).HasMaxLength(50);
        builder.HasIndex(a => a.ThreadId);
    }
}

internal sealed class ThreadReadStateConfiguration : IEntityTypeConfiguration<ThreadReadState>
{
    public void Configure(EntityTypeBuilder<ThreadReadState> builder)
    {
        builder.HasKey(r => new { r.UserId, r.ThreadId });
        builder.HasOne<MessageThread>().WithMany().HasForeignKey(r => r.ThreadId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<HaleUser>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MessageDraftConfiguration : IEntityTypeConfiguration<MessageDraft>
{
    public void Configure(EntityTypeBuilder<MessageDraft> builder)
    {
        builder.ToTable("Drafts");
        builder.Property(d => d.KeyId).HasMaxLength(40);
        builder.Property(d => d.Topic).HasConversion<int?>();
        // One draft per user per thread; ThreadId is null for "new message", and both providers treat
        // NULLs as distinct in unique indexes, so the code keeps one new-message draft per user.
        builder.HasIndex(d => new { d.UserId, d.ThreadId }).IsUnique();
        builder.HasOne<HaleUser>().WithMany().HasForeignKey(d => d.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<MessageThread>().WithMany().HasForeignKey(d => d.ThreadId).OnDelete(DeleteBehavior.Cascade);
    }
}
