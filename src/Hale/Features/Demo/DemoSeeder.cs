using Hale.Data;
using Hale.Features.Account;
using Hale.Features.Messaging;
using Hale.Features.Patients;
using Hale.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Demo;

public sealed class DemoOptions
{
    /// <summary>Seed the demo practice into an empty database on start.</summary>
    public bool Enabled { get; set; }
}

/// <summary>
/// The demo practice: three clinicians, a nurse, a front-desk user, an administrator and twelve
/// patients with a few threads each. Everything goes through the same services as real use, so
/// subjects, bodies and attachments are encrypted and every write is audited.
/// </summary>
public static class DemoSeeder
{
    public const string Password = "demo-visit-2026";
    public const string PracticeName = "Hale Demo Family Practice";

    public sealed record SignIn(string Email, string Name, string Role);

    public static readonly IReadOnlyList<SignIn> StaffSignIns =
    [
        new("ana.lee@demo.hale.test", "Dr Ana Lee", Roles.Clinician),
        new("marcus.okafor@demo.hale.test", "Dr Marcus Okafor", Roles.Clinician),
        new("priya.raman@demo.hale.test", "Dr Priya Raman", Roles.Clinician),
        new("nora.quinn@demo.hale.test", "Nora Quinn, RN", Roles.Nurse),
        new("frank.diaz@demo.hale.test", "Frank Diaz", Roles.FrontDesk),
        new("admin@demo.hale.test", "Ada Admin", Roles.Admin),
    ];

    private static readonly (string Given, string Family, int BirthYear, int Month, int Day)[] PatientNames =
    [
        ("Maria", "Garcia", 1958, 3, 14), ("James", "Wilson", 1972, 11, 2), ("Aiko", "Tanaka", 1990, 6, 21),
        ("Samuel", "Adeyemi", 1985, 1, 30), ("Elena", "Petrova", 1947, 9, 9), ("Liam", "O'Brien", 2001, 12, 17),
        ("Fatima", "Hassan", 1969, 4, 5), ("Chen", "Wei", 1978, 8, 28), ("Grace", "Miller", 1995, 2, 11),
        ("Diego", "Santos", 1963, 7, 19), ("Hannah", "Schmidt", 1988, 10, 3), ("Robert", "Johnson", 1951, 5, 25),
    ];

    public static IEnumerable<SignIn> PatientSignIns() =>
        PatientNames.Select(p => new SignIn($"{p.Given.ToLowerInvariant()}.{p.Family.ToLowerInvariant().Replace("'", "", StringComparison.Ordinal)}@demo.hale.test", $"{p.Given} {p.Family}", Roles.Patient));

    private static readonly (MessageTopic Topic, string Subject, string Body, string Reply)[] Conversations =
    [
        (MessageTopic.MedicalQuestion, "Dizzy after new blood pressure pill", "Since starting the new tablet on Monday I feel dizzy when I stand up. Should I keep taking it?", "Thanks for telling us. Keep taking it, stand up slowly, and drink plenty of water. If it is not better in three days, book a visit."),
        (MessageTopic.Prescription, "Refill for inhaler", "I am down to my last inhaler. Could you send a refill to the usual pharmacy?", "Done: the refill was sent to your pharmacy this morning."),
        (MessageTopic.Appointment, "Follow-up after blood tests", "When should I come back to go over my blood test results?", "Any time in the next two weeks works. The front desk can find you a slot."),
        (MessageTopic.MedicalQuestion, "Rash on my arm", "I have a red, itchy rash on my forearm since yesterday. I attached a photo.", "From the photo it looks like contact dermatitis. Try a mild hydrocortisone cream twice a day for a week."),
        (MessageTopic.Billing, "Question about my last bill", "I was charged twice for the visit on the 3rd. Can someone check?", "You are right, we have refunded the duplicate charge."),
        (MessageTopic.Other, "Travel vaccination", "I am travelling to Kenya in March. Which vaccines do I need?", "Please book a travel consultation; yellow fever and typhoid are usually advised."),
    ];

    public static async Task<bool> IsPresentAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HaleDbContext>().Practices.AnyAsync(p => p.Name == PracticeName, cancellationToken);
    }

    /// <summary>Seeds the demo into an empty database; returns false if there was already data.</summary>
    public static async Task<bool> SeedAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<HaleDbContext>();
        if (await db.Practices.AnyAsync(cancellationToken))
        {
            return false;
        }
        var clock = sp.GetRequiredService<TimeProvider>();
        var users = sp.GetRequiredService<UserManager<HaleUser>>();
        var now = clock.GetUtcNow().UtcDateTime;

        var practice = new Practice { Id = Guid.CreateVersion7(), Name = PracticeName, ResponseBusinessDays = 2 };
        db.Practices.Add(practice);
        await db.SaveChangesAsync(cancellationToken);

        var staff = new Dictionary<string, HaleUser>(StringComparer.Ordinal);
        foreach (var s in StaffSignIns)
        {
            var user = new HaleUser { Id = Guid.CreateVersion7(), UserName = s.Email, Email = s.Email, EmailConfirmed = true, DisplayName = s.Name, Role = s.Role, PracticeId = practice.Id, CreatedAt = now };
            Check(await users.CreateAsync(user, Password));
            staff[s.Email] = user;
        }
        var clinicians = staff.Values.Where(u => u.Role == Roles.Clinician).ToList();
        var nurse = staff.Values.Single(u => u.Role == Roles.Nurse);

        var patientLogins = PatientSignIns().ToList();
        var patients = new List<(Patient Patient, HaleUser User, HaleUser Clinician)>();
        for (var i = 0; i < PatientNames.Length; i++)
        {
            var (given, family, year, month, day) = PatientNames[i];
            var login = patientLogins[i];
            var user = new HaleUser { Id = Guid.CreateVersion7(), UserName = login.Email, Email = login.Email, EmailConfirmed = true, DisplayName = login.Name, Role = Roles.Patient, PracticeId = practice.Id, CreatedAt = now };
            Check(await users.CreateAsync(user, Password));
            var clinician = clinicians[i % clinicians.Count];
            var patient = new Patient { Id = Guid.CreateVersion7(), PracticeId = practice.Id, UserId = user.Id, GivenName = given, FamilyName = family, BirthDate = new DateOnly(year, month, day), CreatedAt = now };
            patient.CareTeam.Add(new CareTeamMember { PatientId = patient.Id, StaffUserId = clinician.Id });
            if (clinician == clinicians[0])
            {
                patient.CareTeam.Add(new CareTeamMember { PatientId = patient.Id, StaffUserId = nurse.Id });
            }
            db.Patients.Add(patient);
            patients.Add((patient, user, clinician));
        }
        await db.SaveChangesAsync(cancellationToken);

        var threads = 0;
        for (var i = 0; i < patients.Count; i++)
        {
            var (patient, user, clinician) = patients[i];
            var asPatient = new CurrentUser(user.Id, Roles.Patient, practice.Id, patient.Id, user.DisplayName);
            var asClinician = new CurrentUser(clinician.Id, Roles.Clinician, practice.Id, null, clinician.DisplayName);
            var count = 2 + (i % 2);
            for (var c = 0; c < count; c++)
            {
                var (topic, subject, body, reply) = Conversations[(i + c * 5) % Conversations.Length];
                var daysAgo = 20 - c * 7 - (i % 5);
                var sentAt = now.AddDays(-daysAgo).AddHours(-(i % 7));
                var patientSender = SenderAt(sp, clock, sentAt);
                var files = topic == MessageTopic.MedicalQuestion && subject.StartsWith("Rash", StringComparison.Ordinal)
                    ? [new IncomingFile("rash-photo.png", DemoImage.Length, DemoImage)]
                    : Array.Empty<IncomingFile>();
                var started = await patientSender.StartThreadAsync(asPatient, new NewThreadInput(topic, clinician.Id, subject), body, files, Guid.NewGuid(), cancellationToken);
                threads++;
                // The newest thread of every other patient waits for an answer; the rest were answered.
                if (c < count - 1 || i % 2 == 0)
                {
                    var replier = SenderAt(sp, clock, sentAt.AddHours(5));
                    await replier.ReplyAsync(asClinician, started.ThreadId, reply, [], Guid.NewGuid(), cancellationToken);
                }
            }
        }
        Log.DemoSeeded(sp.GetRequiredService<ILogger<DemoOptions>>(), patients.Count, threads);
        return true;
    }

    private static MessageSender SenderAt(IServiceProvider sp, TimeProvider clock, DateTime at)
    {
        var db = sp.GetRequiredService<HaleDbContext>();
        db.ChangeTracker.Clear();
        return ActivatorUtilities.CreateInstance<MessageSender>(sp, (TimeProvider)new ShiftedClock(clock, at - clock.GetUtcNow().UtcDateTime));
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Demo seed failed: " + string.Join("; ", result.Errors.Select(e => e.Code)));
        }
    }

    /// <summary>A 1×1 PNG, standing in for a patient's photo.</summary>
    private static readonly byte[] DemoImage = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    private sealed class ShiftedClock(TimeProvider inner, TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + offset;
    }
}
