using System.Net;
using System.Text.RegularExpressions;
using Hale.Features.Audit;
using Hale.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hale.Tests.Security;

/// <summary>
/// Every patient-scoped route, called by everyone who must not see it: the other patient, a clinician of
/// another practice, a colleague not on the care team, the front desk, the admin → 404 exactly like a
/// missing id; anonymous → the sign-in page. The care team itself gets in.
/// </summary>
public sealed partial class AccessMatrixTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private sealed record Target(Guid ThreadId, Guid AttachmentId, string Subject);

    private static IEnumerable<(string Name, Func<Session, Target, Task<HttpResponseMessage>> Call)> Routes(Guid? threadOverride = null, Guid? attachmentOverride = null) =>
    [
        ("GET thread", (c, t) => c.Client.GetAsync($"/messages/{threadOverride ?? t.ThreadId}")),
        ("POST reply", (c, t) => c.PostFormAsync("/messages", $"/messages/{threadOverride ?? t.ThreadId}", new() { ["Body"] = "intrusion", ["IdempotencyKey"] = Guid.NewGuid().ToString() })),
        ("POST draft", (c, t) => c.PostFormAsync("/messages", $"/messages/{threadOverride ?? t.ThreadId}?handler=SaveDraft", new() { ["Body"] = "intrusion" })),
        ("GET attachment", (c, t) => c.Client.GetAsync($"/messages/attachments/{attachmentOverride ?? t.AttachmentId}")),
    ];

    private static async Task<Target> ArrangeAsync(HaleFactory app, Scenario s)
    {
        var patient = await Session.SignInAsync(app, s.PatientA);
        var subject = "Private matter " + Guid.NewGuid().ToString("N")[..8];
        var threadId = await patient.StartThreadOkAsync(s.Clinician, subject, "Only my care team may read this.", [("private.pdf", Files.Pdf("private"))]);
        var attachmentId = await app.WithDbAsync(db => db.Attachments.Where(a => a.ThreadId == threadId).Select(a => a.Id).SingleAsync());
        return new Target(threadId, attachmentId, subject);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task PatientScopedRoutes_CalledByAnyoneOutsideTheCareTeam_AnswerNotFoundLikeAMissingId(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var target = await ArrangeAsync(app, s);
        TestUser[] outsiders = [s.PatientB, s.ForeignClinician, s.Colleague, s.FrontDesk, s.Admin];

        foreach (var outsider in outsiders)
        {
            var session = await Session.SignInAsync(app, outsider);
            var missing = Routes(Guid.NewGuid(), Guid.NewGuid()).ToList();
            var real = Routes().ToList();
            for (var i = 0; i < real.Count; i++)
            {
                var denied = await real[i].Call(session, target);
                var absent = await missing[i].Call(session, target);
                Assert.True(HttpStatusCode.NotFound == denied.StatusCode, $"{real[i].Name} as {outsider.Role} {outsider.Name}: {denied.StatusCode}");
                Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
                var deniedBody = Normalize(await denied.Content.ReadAsStringAsync());
                Assert.Equal(Normalize(await absent.Content.ReadAsStringAsync()), deniedBody);
                Assert.DoesNotContain(target.Subject, deniedBody, StringComparison.Ordinal);
            }
            var inbox = await session.Client.GetAsync("/messages");
            Assert.DoesNotContain(target.Subject, await inbox.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var stored = await app.WithDbAsync(db => db.Messages.CountAsync(m => m.ThreadId == target.ThreadId));
        Assert.Equal(1, stored);
        // Every denial is audited: three thread routes and the attachment, for each outsider.
        var threadDenials = await app.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.ResourceId == target.ThreadId.ToString() && a.Outcome == AuditOutcome.Denied));
        var attachmentDenials = await app.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.ResourceId == target.AttachmentId.ToString() && a.Outcome == AuditOutcome.Denied));
        Assert.Equal(3 * outsiders.Length, threadDenials);
        Assert.Equal(outsiders.Length, attachmentDenials);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task PatientScopedRoutes_CalledAnonymously_RedirectToSignIn(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var target = await ArrangeAsync(app, s);
        var anonymous = Session.Anonymous(app);

        foreach (var url in new[] { "/messages", "/messages/new", $"/messages/{target.ThreadId}", $"/messages/attachments/{target.AttachmentId}", "/admin/users" })
        {
            var response = await anonymous.Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/account/sign-in", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }
        foreach (var url in new[] { $"/messages/{target.ThreadId}", $"/messages/{target.ThreadId}?handler=SaveDraft", "/messages/new", "/messages/new?handler=SaveDraft" })
        {
            var post = await anonymous.PostFormAsync("/account/sign-in", url, new() { ["Body"] = "x", ["Subject"] = "x", ["IdempotencyKey"] = Guid.NewGuid().ToString() });
            Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
            Assert.StartsWith("/account/sign-in", post.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }
        Assert.Equal(0, await app.WithDbAsync(db => db.Drafts.CountAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.Messages.CountAsync(m => m.ThreadId == target.ThreadId)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task PatientScopedRoutes_CalledByTheCareTeam_Succeed(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var target = await ArrangeAsync(app, s);

        foreach (var member in new[] { s.PatientA, s.Clinician, s.Nurse })
        {
            var session = await Session.SignInAsync(app, member);
            Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync($"/messages/{target.ThreadId}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync($"/messages/attachments/{target.AttachmentId}")).StatusCode);
            Assert.Contains(target.Subject, await session.Client.GetStringAsync("/messages"), StringComparison.Ordinal);
        }
        var nurse = await Session.SignInAsync(app, s.Nurse);
        Assert.Equal(HttpStatusCode.Redirect, (await nurse.ReplyAsync(target.ThreadId, "Nurse here: rest and fluids.")).StatusCode);
    }

    // The correlation id differs per request; everything else must be identical.
    private static string Normalize(string html) => CorrelationPattern().Replace(TokenPattern().Replace(html, ""), "");

    [GeneratedRegex("<code>[^<]*</code>")]
    private static partial Regex CorrelationPattern();

    [GeneratedRegex("value=\"CfDJ8[^\"]*\"")]
    private static partial Regex TokenPattern();
}
