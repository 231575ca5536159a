using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hale.Features.Account;

public sealed class HaleUser : IdentityUser<Guid>
{
    public required string DisplayName { get; set; }
    public required string Role { get; set; }
    public Guid PracticeId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>The roles a Hale account can hold; each account holds exactly one.</summary>
public static class Roles
{
    public const string Patient = "patient";
    public const string Clinician = "clinician";
    public const string Nurse = "nurse";
    public const string FrontDesk = "frontdesk";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> Staff = [Clinician, Nurse, FrontDesk, Admin];

    /// <summary>Staff who may be on a patient's care team and read their messages.</summary>
    public static readonly IReadOnlyList<string> CareTeam = [Clinician, Nurse];

    public static string Label(string role) => role switch
    {
        Patient => "Patient",
        Clinician => "Clinician",
        Nurse => "Nurse",
        FrontDesk => "Front desk",
        Admin => "Administrator",
        _ => role,
    };
}

internal sealed class HaleUserConfiguration : IEntityTypeConfiguration<HaleUser>
{
    public void Configure(EntityTypeBuilder<HaleUser> builder)
    {
        builder.Property(u => u.DisplayName).HasMaxLength(200);
        builder.Property(u => u.Role).HasMaxLength(20);
        builder.HasIndex(u => new { u.PracticeId, u.Role });
    }
}
