using System.Net;
using System.Reflection;
using Hale.Cli;
using Hale.Data;
using Hale.Features.Administration;
using Hale.Features.Audit;
using Hale.Features.Messaging;
using Hale.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hale.Tests.Audit;

public sealed class AuditTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private sealed record Call(Type Page, string Handler, string Action, bool AsAdmin, Func<Session, Scenario, (Guid Thread, Guid Attachment), Task<HttpResponseMessage>> Send);

    /// <summary>Every handler of every audited page; an audited page with no entry here fails the test.</summary>
    private static readonly Call[] Calls =
    [
        new(typeof(InboxModel), "GET", "thread.list", false, (c, s, t) => c.Client.GetAsync("/messages")),
        new(typeof(ThreadModel), "GET", "thread.read", false, (c, s, t) => c.Client.GetAsync($"/messages/{t.Thread}")),
        new(typeof(ThreadModel), "POST reply", "message.create", false, (c, s, t) => c.ReplyAsync(t.Thread, "Audited reply")),
        new(typeof(ThreadModel), "POST draft", "draft.save", false, (c, s, t) => c.PostFormAsync("/messages", $"/messages/{t.Thread}?handler=SaveDraft", new() { ["Body"] = "draft" })),
        new(typeof(ThreadModel), "GET with draft", "draft.read", false, (c, s, t) => c.Client.GetAsync($"/messages/{t.Thread}")),
        new(typeof(ComposeModel), "POST", "thread.create", false, (c, s, t) => c.StartThreadAsync(s.Clinician, "Audited compose", "Body")),
        new(typeof(ComposeModel), "POST draft", "draft.save", false, (c, s, t) => c.PostFormAsync("/messages", "/messages/new?handler=SaveDraft", new() { ["Subject"] = "d", ["Body"] = "d" })),
        new(typeof(ComposeModel), "GET with draft", "draft.read", false, (c, s, t) => c.Client.GetAsync("/messages/new")),
        new(typeof(AttachmentModel), "GET", "attachment.read", false, (c, s, t) => c.Client.GetAsync($"/messages/attachments/{t.Attachment}")),
        new(typeof(UsersModel), "GET", "user.list", true, (c, s, t) => c.Client.GetAsync("/admin/users")),
        new(typeof(UsersModel), "POST patient", "patient.invite", true, (c, s, t) => c.PostFormAsync("/admin/users", "/admin/users?handler=Patient", new() { ["GivenName"] = "Au", ["FamilyName"] = "Dit", ["PatientEmail"] = $"au.{Guid.NewGuid():N}@test.example" })),
        new(typeof(UsersModel), "POST staff", "user.create", true, (c, s, t) => c.PostFormAsync("/admin/users", "/admin/users?handler=Staff", new() { ["StaffName"] = "Au Dit", ["StaffEmail"] = $"staff.{Guid.NewGuid():N}@test.example", ["StaffRole"] = "nurse" })),
        new(typeof(UsersModel), "POST reinvite", "invitation.reissue", true, async (c, s, t) =>
        {
            var invited = await c.PostFormAsync("/admin/users", "/admin/users?handler=Staff", new() { ["StaffName"] = "Re Invite", ["StaffEmail"] = $"re.{Guid.NewGuid():N}@test.example", ["StaffRole"] = "nurse" });
            var id = System.Text.RegularExpressions.Regex.Matches(await invited.Content.ReadAsStringAsync(), "name=\"userId\" value=\"([0-9a-f-]+)\"")[^1].Groups[1].Value;
            return await c.PostFormAsync("/admin/users", "/admin/users?handler=Reinvite", new() { ["userId"] = id });
        }),
    ];

    /// <summary>Pages that touch no patient data and so write no audit row.</summary>
    private static readonly string[] Unaudited = ["/", "/account/sign-in", "/account/sign-out", "/error/{code:int?}", "/account/activate/{token}"];

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task EveryAuditedPage_WhenCalled_AppendsAnAuditRowWithWhoWhatAndCorrelation(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var thread = await patient.StartThreadOkAsync(s.Clinician, "Audit me", "Body", [("a.png", Files.Png)]);
        var attachment = await app.WithDbAsync(db => db.Attachments.Where(a => a.ThreadId == thread).Select(a => a.Id).SingleAsync());
        var audited = typeof(HaleApp).Assembly.GetTypes().Where(t => t.GetCustomAttribute<AuditedAttribute>() is not null).ToList();
        Assert.NotEmpty(audited);
        Assert.All(audited, page => Assert.True(Calls.Any(c => c.Page == page), $"{page.Name} is audited but this test does not call it: add it to {nameof(Calls)}."));
        var admin = await Session.SignInAsync(app, s.Admin);

        foreach (var call in Calls)
        {
            var (caller, callerId) = call.AsAdmin ? (admin, s.Admin.Id) : (patient, s.PatientA.Id);
            var before = await app.WithDbAsync(db => db.AuditEvents.MaxAsync(a => (long?)a.Sequence)) ?? 0;

            var response = await call.Send(caller, s, (thread, attachment));

            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect or HttpStatusCode.NoContent, $"{call.Page.Name} {call.Handler}: {response.StatusCode}");
            var rows = await app.WithDbAsync(db => db.AuditEvents.Where(a => a.Sequence > before && a.UserId == callerId).ToListAsync());
            var row = Assert.Single(rows, r => r.Action == call.Action);
            Assert.Equal(AuditOutcome.Success, row.Outcome);
            Assert.False(string.IsNullOrEmpty(row.CorrelationId));
            Assert.False(string.IsNullOrEmpty(row.Role));
            if (!call.AsAdmin)
            {
                Assert.Equal(s.PatientA.PatientId, row.PatientId);
            }
        }
    }

    [Fact]
    public async Task EveryPage_IsAuditedOrListedAsTouchingNoPatientData()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var pages = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Mvc.RazorPages.CompiledPageActionDescriptor>() is not null
                || e.Metadata.OfType<PageActionDescriptor>().Any())
            .ToList();
        Assert.NotEmpty(pages);
        foreach (var page in pages)
        {
            var descriptor = page.Metadata.OfType<PageActionDescriptor>().First();
            var route = "/" + page.RoutePattern.RawText!.TrimStart('/');
            var model = (descriptor as Microsoft.AspNetCore.Mvc.RazorPages.CompiledPageActionDescriptor)?.ModelTypeInfo?.AsType();
            var isAudited = model?.GetCustomAttribute<AuditedAttribute>() is not null;
            Assert.True(isAudited || Unaudited.Contains(route), $"{route} is neither [Audited] nor listed as touching no patient data.");
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Verify_UntouchedChain_ReportsIntactAndExitsZero(string provider)
    {
        await using var app = await FreshAppWithActivityAsync(provider);

        Assert.Equal(0, await HaleCli.RunAsync(app.Services, ["audit", "verify"]));
        Assert.Null(await app.WithDbAsync(db => AuditChain.VerifyAsync(db, default)));
    }

    public static TheoryData<string, string> Tampering => new()
    {
        { Providers.Sqlite, "alter" }, { Providers.Sqlite, "delete" }, { Providers.Sqlite, "reorder" }, { Providers.Sqlite, "insert" },
        { Providers.Postgres, "alter" }, { Providers.Postgres, "delete" }, { Providers.Postgres, "reorder" }, { Providers.Postgres, "insert" },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_TamperedRow_NamesTheFirstBrokenRowAndExitsNonZero(string provider, string tampering)
    {
        if (provider == Providers.Postgres)
        {
            PostgresServer.SkipIfMissing();
        }
        await using var app = await FreshAppWithActivityAsync(provider);
        var count = await app.WithDbAsync(db => db.AuditEvents.CountAsync());
        Assert.True(count >= 6, $"{count} audit rows");
        const long victim = 3;

        await app.WithDbAsync(async db =>
        {
            await DisableAppendOnlyAsync(db);
            switch (tampering)
            {
                case "alter":
                    await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEvents\" SET \"Action\" = 'nothing.happened' WHERE \"Sequence\" = {0}", victim);
                    break;
                case "delete":
                    await db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditEvents\" WHERE \"Sequence\" = {0}", victim);
                    break;
                case "reorder":
                    // swap two rows' positions, keeping each row's own hash fields
                    await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEvents\" SET \"Sequence\" = -1 WHERE \"Sequence\" = {0}", victim);
                    await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEvents\" SET \"Sequence\" = {0} WHERE \"Sequence\" = {1}", victim, victim + 1);
                    await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEvents\" SET \"Sequence\" = {0} WHERE \"Sequence\" = -1", victim + 1);
                    break;
                default:
                    // a forged row slipped in with a plausible sequence and hash fields copied from its neighbour
                    await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEvents\" SET \"Sequence\" = \"Sequence\" + 1000 WHERE \"Sequence\" >= {0}", victim);
                    await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEvents\" SET \"Sequence\" = \"Sequence\" - 999 WHERE \"Sequence\" >= {0}", victim + 1000);
                    await db.Database.ExecuteSqlRawAsync(
                        "INSERT INTO \"AuditEvents\" (\"Id\", \"Sequence\", \"At\", \"Role\", \"Action\", \"ResourceType\", \"Outcome\", \"PreviousHash\", \"Hash\") " +
                        "SELECT {2}, {0}, \"At\", 'admin', 'thread.read', 'Thread', 'success', \"PreviousHash\", \"Hash\" FROM \"AuditEvents\" WHERE \"Sequence\" = {1}", victim, victim + 1, Guid.NewGuid());
                    break;
            }
        });

        var broken = await app.WithDbAsync(db => AuditChain.VerifyAsync(db, default));
        Assert.NotNull(broken);
        Assert.Equal(victim, broken.Sequence);
        Assert.Equal(1, await HaleCli.RunAsync(app.Services, ["audit", "verify"]));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task AuditTable_UpdateOrDelete_IsRefusedByTheDatabase(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        await (await Session.SignInAsync(app, s.PatientA)).Client.GetAsync("/messages");

        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEvents\" SET \"Outcome\" = 'x'")));
        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditEvents\"")));
    }

    [Fact]
    public async Task AuditRows_AfterMessaging_HoldNoMessageText()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var marker = Guid.NewGuid().ToString("N");
        var thread = await patient.StartThreadOkAsync(s.Clinician, "S" + marker, "B" + marker);
        await patient.Client.GetStringAsync($"/messages/{thread}");

        var rows = await app.WithDbAsync(db => db.AuditEvents.Where(a => a.PatientId == s.PatientA.PatientId).ToListAsync());

        Assert.Contains(rows, r => r.Action == "thread.create");
        Assert.Contains(rows, r => r.Action == "thread.read");
        Assert.All(rows, r => Assert.DoesNotContain(marker, string.Join("|", r.Action, r.ResourceType, r.ResourceId, r.Role, r.Outcome), StringComparison.Ordinal));
    }

    private static async Task<HaleFactory> FreshAppWithActivityAsync(string provider)
    {
        var app = await HaleFactory.CreateAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var thread = await patient.StartThreadOkAsync(s.Clinician, "Chain", "Body");
        for (var i = 0; i < 4; i++)
        {
            await patient.Client.GetStringAsync($"/messages/{thread}");
        }
        return app;
    }

    private static Task DisableAppendOnlyAsync(HaleDbContext db) =>
        db.Provider == DatabaseProvider.Postgres
            ? db.Database.ExecuteSqlRawAsync("ALTER TABLE \"AuditEvents\" DISABLE TRIGGER USER")
            : db.Database.ExecuteSqlRawAsync("DROP TRIGGER \"AuditEvents_no_update\"; DROP TRIGGER \"AuditEvents_no_delete\";");
}
