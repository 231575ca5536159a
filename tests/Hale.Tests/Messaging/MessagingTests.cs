using System.Net;
using Hale.Features.Messaging;
using Hale.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hale.Tests.Messaging;

public sealed class MessagingTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task PatientMessage_ClinicianReplies_PatientSeesReplyAsUnreadThenRead(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var subject = "Knee pain " + Guid.NewGuid().ToString("N")[..6];

        var threadId = await patient.StartThreadOkAsync(s.Clinician, subject, "My left knee hurts when I climb stairs.", [("knee.png", Files.Png)]);

        var clinician = await Session.SignInAsync(app, s.Clinician);
        var inbox = await clinician.Client.GetStringAsync("/messages");
        Assert.Contains(subject, inbox, StringComparison.Ordinal);
        Assert.Contains("Pat Alpha", inbox, StringComparison.Ordinal);
        var thread = await clinician.Client.GetStringAsync($"/messages/{threadId}");
        Assert.Contains("My left knee hurts when I climb stairs.", thread, StringComparison.Ordinal);
        Assert.Contains("knee.png", thread, StringComparison.Ordinal);
        Assert.Contains("born 17 May 1980", thread, StringComparison.Ordinal);
        var reply = await clinician.ReplyAsync(threadId, "Please try ice and rest for a week.");
        Assert.Equal(HttpStatusCode.Redirect, reply.StatusCode);

        var patientInbox = await patient.Client.GetStringAsync("/messages");
        Assert.Contains("1 unread", patientInbox, StringComparison.Ordinal);
        Assert.Contains("1 new<span class=\"visually-hidden\"> message</span>", patientInbox, StringComparison.Ordinal);
        var patientThread = await patient.Client.GetStringAsync($"/messages/{threadId}");
        Assert.Contains("Please try ice and rest for a week.", patientThread, StringComparison.Ordinal);
        Assert.Contains("Dr Clara Test <span class=\"role\">(Clinician)</span>", patientThread, StringComparison.Ordinal);
        var afterReading = await patient.Client.GetStringAsync("/messages");
        Assert.DoesNotContain("unread", afterReading.Split("<h1>")[1].Split("</h1>")[0], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Compose_SameIdempotencyKeySubmittedRepeatedly_StoresOneMessage(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var key = Guid.NewGuid();

        var first = await patient.StartThreadAsync(s.Clinician, "Repeat", "Sent once, submitted many times.", key: key);
        var again = await patient.StartThreadAsync(s.Clinician, "Repeat", "Sent once, submitted many times.", key: key);
        var racing = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => patient.StartThreadAsync(s.Clinician, "Repeat", "Sent once, submitted many times.", key: key)));

        var threadId = Session.ThreadIdFrom(first);
        Assert.All(racing.Append(again), r => Assert.Equal(threadId, Session.ThreadIdFrom(r)));
        var (threads, messages) = await app.WithDbAsync(async db => (
            await db.Threads.CountAsync(t => t.PatientId == s.PatientA.PatientId),
            await db.Messages.CountAsync(m => m.SenderUserId == s.PatientA.Id)));
        Assert.Equal(1, threads);
        Assert.Equal(1, messages);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task ConcurrentRepliesFromTheWholeCareTeam_AllStoredCountedAndTheAuditChainStaysIntact(string provider)
    {
        await using var app = await HaleFactory.CreateAsync(provider); // its own chain, so verify sees only this test's writes
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var clinician = await Session.SignInAsync(app, s.Clinician);
        var nurse = await Session.SignInAsync(app, s.Nurse);
        var threadId = await patient.StartThreadOkAsync(s.Clinician, "Busy thread", "Start.");

        var sends = Enumerable.Range(0, 8).SelectMany(i => new[] { patient, clinician, nurse }.Select(who => who.ReplyAsync(threadId, $"Reply {i}")));
        var reads = Enumerable.Range(0, 6).Select(_ => clinician.Client.GetAsync($"/messages/{threadId}"));
        var responses = await Task.WhenAll(sends.Concat(reads));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK,
            r.StatusCode + ": " + string.Join("\n", app.Logs.Lines.Where(l => l.Contains("Exception", StringComparison.Ordinal)).Select(l => l[..Math.Min(l.Length, 1500)]).Take(2))));
        var (stored, counted) = await app.WithDbAsync(async db => (
            await db.Messages.CountAsync(m => m.ThreadId == threadId),
            await db.Threads.Where(t => t.Id == threadId).Select(t => t.MessageCount).SingleAsync()));
        Assert.Equal(25, stored);
        Assert.Equal(25, counted);
        Assert.Null(await app.WithDbAsync(db => Hale.Features.Audit.AuditChain.VerifyAsync(db, default)));
    }

    [Fact]
    public async Task Post_WithoutIdempotencyKey_IsRefusedRatherThanMistakenForARetry()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var threadId = await patient.StartThreadOkAsync(s.Clinician, "Keyless", "First.");

        var first = await patient.PostFormAsync($"/messages/{threadId}", $"/messages/{threadId}", new() { ["Body"] = "No key one" });
        var second = await patient.PostFormAsync($"/messages/{threadId}", $"/messages/{threadId}", new() { ["Body"] = "No key two", ["IdempotencyKey"] = "not-a-guid" });

        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Equal(1, await app.WithDbAsync(db => db.Messages.CountAsync(m => m.ThreadId == threadId)));
    }

    [Fact]
    public async Task ReplyCommittedAfterThePatientOpenedTheThread_StaysUnreadEvenIfWrittenEarlier()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var threadId = await patient.StartThreadOkAsync(s.Clinician, "Late commit", "First.");
        var replyStartedAt = app.Clock.GetUtcNow();
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        await patient.Client.GetStringAsync($"/messages/{threadId}"); // opened before the reply commits

        await using (var scope = app.Services.CreateAsyncScope())
        {
            // the clinician's reply took its timestamp before the patient opened the thread, and committed after
            var sender = ActivatorUtilities.CreateInstance<MessageSender>(scope.ServiceProvider, (TimeProvider)new Microsoft.Extensions.Time.Testing.FakeTimeProvider(replyStartedAt));
            var me = new Hale.Security.CurrentUser(s.Clinician.Id, "clinician", s.PracticeId, null, s.Clinician.Name);
            Assert.True((await sender.ReplyAsync(me, threadId, "Slow reply", [], Guid.NewGuid())).Succeeded);
        }

        Assert.Contains("1 new<span class=\"visually-hidden\"> message</span>", await patient.Client.GetStringAsync("/messages"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Reply_SameIdempotencyKeyRacing_StoresOneMessage(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var threadId = await patient.StartThreadOkAsync(s.Clinician, "Retry", "First.");
        var key = Guid.NewGuid();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => patient.ReplyAsync(threadId, "A retried reply.", key: key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Redirect, r.StatusCode));
        var count = await app.WithDbAsync(db => db.Messages.CountAsync(m => m.ThreadId == threadId));
        Assert.Equal(2, count);
    }

    [Fact]
    public async Task Compose_Page_ShowsEmergencyNoticeAndExpectedResponseTime()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);

        var html = await patient.Client.GetStringAsync("/messages/new");

        Assert.Contains("Not for emergencies.", html, StringComparison.Ordinal);
        Assert.Contains("call 911 or your local emergency number", html, StringComparison.Ordinal);
        Assert.Contains("usually replies within 2 business days", html, StringComparison.Ordinal);
        foreach (var topic in Enum.GetValues<MessageTopic>())
        {
            Assert.Contains(MessageTopics.Label(topic), html, StringComparison.Ordinal);
        }
        Assert.Contains("Dr Clara Test and care team", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Dr Colin Other", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Draft_SavedThenPageLeft_IsRestoredOnReturnAndClearedOnSend(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);

        var saved = await patient.PostFormAsync("/messages/new", "/messages/new?handler=SaveDraft", new()
        {
            ["Topic"] = "Prescription",
            ["ClinicianId"] = s.Clinician.Id.ToString(),
            ["Subject"] = "Half-written refill request",
            ["Body"] = "I need more of the blue pills, the ones from",
        });
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);

        var restored = await patient.Client.GetStringAsync("/messages/new");
        Assert.Contains("Half-written refill request", restored, StringComparison.Ordinal);
        Assert.Contains("I need more of the blue pills, the ones from", restored, StringComparison.Ordinal);
        Assert.Contains("value=\"Prescription\" checked=\"checked\"", restored, StringComparison.Ordinal);

        await patient.StartThreadOkAsync(s.Clinician, "Half-written refill request", "I need more of the blue pills.");
        var after = await patient.Client.GetStringAsync("/messages/new");
        Assert.DoesNotContain("Half-written refill request", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Draft_AutosaveFromScript_AnswersNoContentAndKeepsReplyText()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var threadId = await patient.StartThreadOkAsync(s.Clinician, "Autosave", "First.");
        var token = await patient.TokenFromAsync($"/messages/{threadId}");

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/messages/{threadId}?handler=SaveDraft")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Body"] = "Typed but not sent yet", ["__RequestVerificationToken"] = token }),
        };
        request.Headers.Add("Sec-Fetch-Mode", "cors");
        var response = await patient.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains("Typed but not sent yet", await patient.Client.GetStringAsync($"/messages/{threadId}"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Draft_AutosaveArrivingAfterTheSend_DoesNotBringTheSentTextBack(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var key = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Redirect, (await patient.StartThreadAsync(s.Clinician, "Sent already", "Sent text", key: key)).StatusCode);

        var late = await patient.PostFormAsync("/messages/new", "/messages/new?handler=SaveDraft", new()
        {
            ["Subject"] = "Sent already",
            ["Body"] = "Sent text",
            ["IdempotencyKey"] = key.ToString(),
        });

        Assert.Equal(HttpStatusCode.Redirect, late.StatusCode);
        Assert.DoesNotContain("Sent text", await patient.Client.GetStringAsync("/messages/new"), StringComparison.Ordinal);

        // and a draft written by an autosave that was already in flight when the send committed is dropped on load
        await app.WithDbAsync(async db =>
        {
            var encryptor = app.Services.GetRequiredService<Hale.Security.FieldEncryptor>();
            var id = Guid.CreateVersion7();
            var sealedValue = await encryptor.EncryptAsync("{\"Subject\":\"Sent already\",\"Body\":\"Sent text\"}"u8.ToArray(), Contexts.Draft(id));
            db.Drafts.Add(new MessageDraft { Id = id, UserId = s.PatientA.Id, ContentCipher = sealedValue.Cipher, KeyId = sealedValue.KeyId, IdempotencyKey = key });
            await db.SaveChangesAsync();
        });
        Assert.DoesNotContain("Sent text", await patient.Client.GetStringAsync("/messages/new"), StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.Drafts.CountAsync(d => d.UserId == s.PatientA.Id)));
    }

    [Fact]
    public async Task ClinicianInbox_UnreadThreadsFirstThenNewestFirst()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patientA = await Session.SignInAsync(app, s.PatientA);
        var patientB = await Session.SignInAsync(app, s.PatientB);
        var clinician = await Session.SignInAsync(app, s.Clinician);
        await patientA.StartThreadOkAsync(s.Clinician, "Order-oldest", "one");
        var middle = await patientB.StartThreadOkAsync(s.Clinician, "Order-middle", "two");
        await clinician.Client.GetStringAsync($"/messages/{middle}"); // read
        await patientA.StartThreadOkAsync(s.Clinician, "Order-newest", "three");

        var inboxResponse = await clinician.Client.GetAsync("/messages");
        Assert.True(inboxResponse.IsSuccessStatusCode, string.Join("\n", app.Logs.Lines.Where(l => l.Contains("Exception", StringComparison.Ordinal)).Take(3)));
        var html = await inboxResponse.Content.ReadAsStringAsync();

        var positions = new[] { "Order-newest", "Order-oldest", "Order-middle" }.Select(x => html.IndexOf(x, StringComparison.Ordinal)).ToArray();
        Assert.All(positions, p => Assert.True(p > 0));
        Assert.True(positions[0] < positions[1] && positions[1] < positions[2], "unread (newest first) before read");
    }

    [Fact]
    public async Task Attachment_Download_ReturnsOriginalBytesAsAttachment()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var pdf = Files.Pdf("lab-letter");
        var threadId = await patient.StartThreadOkAsync(s.Clinician, "Letter", "See attached.", [("letter.pdf", pdf)]);
        var attachmentId = await app.WithDbAsync(db => db.Attachments.Where(a => a.ThreadId == threadId).Select(a => a.Id).SingleAsync());

        var clinician = await Session.SignInAsync(app, s.Clinician);
        var response = await clinician.Client.GetAsync($"/messages/attachments/{attachmentId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal(pdf, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }
}
