using System.Diagnostics;
using Hale.Data;
using Hale.Features.Account;
using Hale.Features.Audit;
using Hale.Features.Messaging;
using Hale.Features.Patients;
using Hale.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Hale.Bench;

/// <summary>A patient who sends during the benchmark, with the thread they reply in.</summary>
internal sealed record Sender(string Email, Guid ThreadId);

internal sealed record SeededData(string ClinicianEmail, Guid ClinicianId, IReadOnlyList<Sender> Senders, int Patients, int Threads, int Messages, TimeSpan Elapsed);

/// <summary>
/// The data set. Accounts the benchmark signs in with are made by <see cref="UserManager{TUser}"/>;
/// the bulk (patients, threads, messages, read marks, audit rows) is written through the DbContext in
/// large transactions, with every subject and body really encrypted under its own row's context and
/// every audit row linked into the hash chain by the DbContext, as in production.
/// </summary>
internal static class BenchData
{
    public const string Password = "quiet-harbour-lantern-42";
    private const int ThreadsPerSave = 500;

    private static readonly string[] Subjects =
    [
        "Dizzy after new blood pressure pill", "Refill for inhaler", "Follow-up after blood tests", "Rash on my arm",
        "Question about my last bill", "Travel vaccination", "Knee pain after running", "Sleep problems since last month",
        "Side effects of the new statin", "Results of my thyroid test", "Form for work", "Cough that will not go away",
    ];

    private static readonly string[] Bodies =
    [
        "Since starting the new tablet on Monday I feel dizzy when I stand up. Should I keep taking it, or stop until we talk?",
        "Thanks for telling us. Keep taking it, stand up slowly, and drink plenty of water. If it is not better in three days, book a visit.",
        "I am down to my last inhaler. Could you send a refill to the usual pharmacy on Main Street? I use it about twice a day at the moment.",
        "Done: the refill was sent to your pharmacy this morning. If you need it more than twice a day, please book a review with us.",
        "When should I come back to go over my blood test results? I can do mornings on Tuesdays and Thursdays, and any time on Friday.",
        "Your results are back and mostly normal; the cholesterol is a little high. Any time in the next two weeks works for a follow-up.",
    ];

    public static async Task<SeededData> SeedAsync(IServiceProvider services, BenchOptions o, TimeProvider clock)
    {
        var started = Stopwatch.StartNew();
        var now = clock.GetUtcNow().UtcDateTime;
        Guid practiceId;
        HaleUser clinician;
        List<HaleUser> otherClinicians = [];
        await using (var scope = services.CreateAsyncScope())
        {
            var sp = scope.ServiceProvider;
            var db = sp.GetRequiredService<HaleDbContext>();
            var users = sp.GetRequiredService<UserManager<HaleUser>>();
            var practice = new Practice { Id = Guid.CreateVersion7(), Name = "Hale Bench Practice" };
            db.Practices.Add(practice);
            await db.SaveChangesAsync();
            practiceId = practice.Id;
            clinician = NewUser("dr.bench@bench.hale.test", "Dr Bench Clinician", Roles.Clinician, practiceId, now);
            Check(await users.CreateAsync(clinician, Password));
            for (var i = 1; i <= 3; i++)
            {
                var other = NewUser($"dr.other{i}@bench.hale.test", $"Dr Other Clinician {i}", Roles.Clinician, practiceId, now);
                Check(await users.CreateAsync(other, Password));
                otherClinicians.Add(other);
            }
        }

        // The send phase's threads grow to hundreds of messages each; they belong to another clinician's
        // patients so that the inbox is timed on the realistic data set alone.
        var senders = await SeedSendersAsync(services, o.Clients, practiceId, otherClinicians[0], now);
        var (threads, messages) = await SeedBulkAsync(services, o, practiceId, clinician, otherClinicians, now);
        return new SeededData(clinician.Email!, clinician.Id, senders, o.Patients + o.Clients, threads + senders.Count, messages + senders.Count, started.Elapsed);
    }

    /// <summary>One patient per client, each with one thread to <paramref name="clinician"/>, started through <see cref="MessageSender"/>.</summary>
    private static async Task<List<Sender>> SeedSendersAsync(IServiceProvider services, int count, Guid practiceId, HaleUser clinician, DateTime now)
    {
        var senders = new List<Sender>(count);
        for (var i = 0; i < count; i++)
        {
            await using var scope = services.CreateAsyncScope();
            var sp = scope.ServiceProvider;
            var db = sp.GetRequiredService<HaleDbContext>();
            var users = sp.GetRequiredService<UserManager<HaleUser>>();
            var email = $"sender{i:D2}@bench.hale.test";
            var user = NewUser(email, $"Sender Number {i:D2}", Roles.Patient, practiceId, now);
            Check(await users.CreateAsync(user, Password));
            var patient = new Patient { Id = Guid.CreateVersion7(), PracticeId = practiceId, UserId = user.Id, GivenName = "Sender", FamilyName = $"Number {i:D2}", BirthDate = new DateOnly(1980, 1, 1).AddDays(i * 97), CreatedAt = now };
            patient.CareTeam.Add(new CareTeamMember { PatientId = patient.Id, StaffUserId = clinician.Id });
            db.Patients.Add(patient);
            await db.SaveChangesAsync();
            var sender = sp.GetRequiredService<MessageSender>();
            var asPatient = new CurrentUser(user.Id, Roles.Patient, practiceId, patient.Id, user.DisplayName);
            var result = await sender.StartThreadAsync(asPatient, new NewThreadInput(MessageTopic.MedicalQuestion, clinician.Id, "Benchmark conversation"),
                "The first message of the benchmark thread.", [], Guid.NewGuid());
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("Could not start a sender's thread: " + string.Join("; ", result.Errors.Values));
            }
            senders.Add(new Sender(email, result.ThreadId));
        }
        return senders;
    }

    private static async Task<(int Threads, int Messages)> SeedBulkAsync(IServiceProvider services, BenchOptions o, Guid practiceId,
        HaleUser clinician, List<HaleUser> others, DateTime now)
    {
        var random = new Random(20261124);
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<HaleDbContext>();
        var users = sp.GetRequiredService<UserManager<HaleUser>>();
        var encryptor = sp.GetRequiredService<FieldEncryptor>();

        // Patients who never sign in share one real password hash (hashing is PBKDF2: 2,000 of them would take minutes).
        var hash = users.PasswordHasher.HashPassword(clinician, Password);
        var patients = new List<(Guid PatientId, Guid UserId, Guid ClinicianId)>(o.Patients);
        for (var i = 0; i < o.Patients; i++)
        {
            var email = $"patient{i:D5}@bench.hale.test";
            var user = NewUser(email, $"Bulk Patient {i:D5}", Roles.Patient, practiceId, now);
            user.NormalizedEmail = users.NormalizeEmail(email);
            user.NormalizedUserName = users.NormalizeName(email);
            user.PasswordHash = hash;
            user.SecurityStamp = Guid.NewGuid().ToString("N").ToUpperInvariant();
            user.LockoutEnabled = true;
            db.Users.Add(user);
            var staff = i < o.Panel ? clinician : others[i % others.Count];
            var patient = new Patient { Id = Guid.CreateVersion7(), PracticeId = practiceId, UserId = user.Id, GivenName = "Bulk", FamilyName = $"Patient {i:D5}", BirthDate = new DateOnly(1940, 1, 1).AddDays(i * 11 % 25_000), CreatedAt = now };
            patient.CareTeam.Add(new CareTeamMember { PatientId = patient.Id, StaffUserId = staff.Id });
            db.Patients.Add(patient);
            patients.Add((patient.Id, user.Id, staff.Id));
            if ((i + 1) % 1000 == 0)
            {
                await SaveAndClearAsync(db);
            }
        }
        await SaveAndClearAsync(db);

        var keyId = await encryptor.ActiveKeyIdAsync();
        var perThread = o.BulkMessages / o.Threads;
        var extra = o.BulkMessages % o.Threads;
        var messages = 0;
        for (var t = 0; t < o.Threads; t++)
        {
            var (patientId, patientUserId, clinicianId) = patients[t % patients.Count];
            var count = Math.Max(1, perThread + (t < extra ? 1 : 0));
            var last = now.AddMinutes(-random.Next(10, 365 * 24 * 60));
            var first = last.AddHours(-3 * (count - 1));
            var thread = new MessageThread
            {
                Id = Guid.CreateVersion7(new DateTimeOffset(first, TimeSpan.Zero)),
                PatientId = patientId,
                Topic = (MessageTopic)(1 + t % 5),
                ClinicianId = clinicianId,
                SubjectCipher = [],
                KeyId = keyId,
                CreatedByUserId = patientUserId,
                CreatedAt = first,
                LastMessageAt = last,
                MessageCount = count,
            };
            thread.SubjectCipher = await encryptor.EncryptWithAsync(keyId, $"{Subjects[t % Subjects.Length]} ({t})", Contexts.ThreadSubject(thread.Id));
            db.Threads.Add(thread);
            for (var k = 0; k < count; k++)
            {
                var fromPatient = k % 2 == 0;
                var sentAt = first.AddHours(3 * k);
                var message = new Message
                {
                    Id = Guid.CreateVersion7(new DateTimeOffset(sentAt, TimeSpan.Zero)),
                    ThreadId = thread.Id,
                    SenderUserId = fromPatient ? patientUserId : clinicianId,
                    SenderRole = fromPatient ? Roles.Patient : Roles.Clinician,
                    SentAt = sentAt,
                    BodyCipher = [],
                    KeyId = keyId,
                    IdempotencyKey = Guid.NewGuid(),
                };
                message.BodyCipher = await encryptor.EncryptWithAsync(keyId, Bodies[(t + k) % Bodies.Length], Contexts.MessageBody(message.Id));
                db.Messages.Add(message);
                db.AuditEvents.Add(new AuditEvent
                {
                    At = sentAt,
                    UserId = message.SenderUserId,
                    Role = message.SenderRole,
                    PatientId = patientId,
                    Action = k == 0 ? "thread.create" : "message.create",
                    ResourceType = "Message",
                    ResourceId = message.Id.ToString(),
                    Outcome = AuditOutcome.Success,
                    ClientAddress = "127.0.0.1",
                    CorrelationId = $"bench-{t}-{k}",
                });
                messages++;
            }
            // The patient has read everything; the clinician has read most threads, some have new messages, a few were never opened.
            db.ThreadReadStates.Add(new ThreadReadState { ThreadId = thread.Id, UserId = patientUserId, LastReadAt = last });
            var roll = random.Next(100);
            if (roll < 85)
            {
                db.ThreadReadStates.Add(new ThreadReadState { ThreadId = thread.Id, UserId = clinicianId, LastReadAt = last });
            }
            else if (roll < 95)
            {
                db.ThreadReadStates.Add(new ThreadReadState { ThreadId = thread.Id, UserId = clinicianId, LastReadAt = first });
            }
            if ((t + 1) % ThreadsPerSave == 0)
            {
                await SaveAndClearAsync(db);
            }
        }
        await SaveAndClearAsync(db);
        return (o.Threads, messages);
    }

    private static async Task SaveAndClearAsync(HaleDbContext db)
    {
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
    }

    private static HaleUser NewUser(string email, string name, string role, Guid practiceId, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(),
        UserName = email,
        Email = email,
        EmailConfirmed = true,
        DisplayName = name,
        Role = role,
        PracticeId = practiceId,
        CreatedAt = now,
    };

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Seeding failed: " + string.Join("; ", result.Errors.Select(e => e.Code)));
        }
    }
}
