using Hale.Features.Demo;

namespace Hale.BrowserTests;

/// <summary>
/// The demo practice's people these tests sign in as (Features/Demo/DemoSeeder.cs). Patients are
/// given clinicians in turn, so the first patient, Maria Garcia, has Dr Ana Lee (and the nurse) and
/// the second, James Wilson, has Dr Marcus Okafor.
/// </summary>
public static class DemoAccounts
{
    public static string Password => DemoSeeder.Password;

    public static DemoSeeder.SignIn Patient { get; } =
        DemoSeeder.PatientSignIns().Single(p => p.Email == "maria.garcia@demo.hale.test");

    /// <summary>Maria Garcia's date of birth in the seed, for the age the care team sees.</summary>
    public static DateOnly PatientBirthDate { get; } = new(1958, 3, 14);

    public static DemoSeeder.SignIn Clinician { get; } =
        DemoSeeder.StaffSignIns.Single(s => s.Email == "ana.lee@demo.hale.test");

    /// <summary>A second patient, so tests that run side by side never share a patient's drafts.</summary>
    public static DemoSeeder.SignIn OtherPatient { get; } =
        DemoSeeder.PatientSignIns().Single(p => p.Email == "james.wilson@demo.hale.test");

    public static DemoSeeder.SignIn OtherPatientClinician { get; } =
        DemoSeeder.StaffSignIns.Single(s => s.Email == "marcus.okafor@demo.hale.test");

    /// <summary>The age the thread page shows: whole years on today's date in the practice's time zone.</summary>
    public static int PatientAgeToday()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(TimeProvider.System.GetUtcNow(), zone).DateTime);
        var age = today.Year - PatientBirthDate.Year;
        return PatientBirthDate.AddYears(age) > today ? age - 1 : age;
    }
}
