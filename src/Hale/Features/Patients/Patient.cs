using Hale.Features.Account;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hale.Features.Patients;

public sealed class Practice
{
    public Guid Id { get; set; }
    public required string Name { get; set; }

    /// <summary>What the compose page promises, in business days.</summary>
    public int ResponseBusinessDays { get; set; } = 2;

    public string EmergencyNumber { get; set; } = "911";

    /// <summary>IANA time zone used to show times to patients and staff.</summary>
    public string TimeZone { get; set; } = "America/New_York";

    public TimeZoneInfo TimeZoneInfo =>
        TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;
}

public sealed class Patient
{
    public Guid Id { get; set; }
    public Guid PracticeId { get; set; }
    public Guid? UserId { get; set; }
    public required string GivenName { get; set; }
    public required string FamilyName { get; set; }
    public DateOnly? BirthDate { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<CareTeamMember> CareTeam { get; set; } = [];

    public string FullName => $"{GivenName} {FamilyName}";

    public int? AgeOn(DateOnly today)
    {
        if (BirthDate is not { } birth)
        {
            return null;
        }
        var age = today.Year - birth.Year;
        return birth.AddYears(age) > today ? age - 1 : age;
    }
}

/// <summary>A staff member (clinician or nurse) on a patient's care team: they may read and answer the patient's threads.</summary>
public sealed class CareTeamMember
{
    public Guid PatientId { get; set; }
    public Guid StaffUserId { get; set; }
}

internal sealed class PracticeConfiguration : IEntityTypeConfiguration<Practice>
{
    public void Configure(EntityTypeBuilder<Practice> builder)
    {
        builder.Property(p => p.Name).HasMaxLength(200);
        builder.Property(p => p.EmergencyNumber).HasMaxLength(20);
        builder.Property(p => p.TimeZone).HasMaxLength(64);
        builder.Ignore(p => p.TimeZoneInfo);
    }
}

internal sealed class PatientConfiguration : IEntityTypeConfiguration<Patient>
{
    public void Configure(EntityTypeBuilder<Patient> builder)
    {
        builder.Property(p => p.GivenName).HasMaxLength(100);
        builder.Property(p => p.FamilyName).HasMaxLength(100);
        builder.Ignore(p => p.FullName);
        builder.HasIndex(p => p.UserId).IsUnique();
        builder.HasOne<Practice>().WithMany().HasForeignKey(p => p.PracticeId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<HaleUser>().WithMany().HasForeignKey(p => p.UserId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(p => p.CareTeam).WithOne().HasForeignKey(m => m.PatientId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CareTeamMemberConfiguration : IEntityTypeConfiguration<CareTeamMember>
{
    public void Configure(EntityTypeBuilder<CareTeamMember> builder)
    {
        builder.HasKey(m => new { m.PatientId, m.StaffUserId });
        builder.HasIndex(m => new { m.StaffUserId, m.PatientId });
        builder.HasOne<HaleUser>().WithMany().HasForeignKey(m => m.StaffUserId).OnDelete(DeleteBehavior.Cascade);
    }
}
