using System.Net;
using Hale.Features.Demo;
using Hale.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hale.Tests.Security;

public sealed class PlatformTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    /// <summary>The only endpoints reachable without signing in.</summary>
    private static readonly string[] Anonymous = ["/account/sign-in", "/account/sign-out", "/account/activate/{token}", "/error/{code:int?}", "/health"];

    [Fact]
    public async Task Endpoints_AllRequireSignInExceptTheListedAnonymousOnes()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        var open = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).Distinct().Order().ToList();

        Assert.Equal(Anonymous.Order(), open);
    }

    [Fact]
    public async Task EveryResponse_CarriesHardeningHeadersAndNoServerBanner()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);

        foreach (var response in new[] { await Session.Anonymous(app).Client.GetAsync("/account/sign-in"), await patient.Client.GetAsync("/messages"), await patient.Client.GetAsync("/css/site.css") })
        {
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.False(response.Headers.Contains("Server"));
        }
        Assert.Equal("no-store", (await patient.Client.GetAsync("/messages")).Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Pages_ReferenceNoThirdPartyHostAndNoInlineScriptOrStyle()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var thread = await patient.StartThreadOkAsync(s.Clinician, "Check", "Body");

        foreach (var url in new[] { "/messages", "/messages/new", $"/messages/{thread}" })
        {
            var html = await patient.Client.GetStringAsync(url);
            Assert.DoesNotMatch("(src|href|action)=\"(https?:)?//", html);
            Assert.DoesNotMatch("<script(?![^>]*src=)", html);
            Assert.DoesNotContain(" style=\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<style", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Logs_DuringMessagingAndSignIn_ContainNoNamesEmailsSubjectsOrBodies()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var marker = Guid.NewGuid().ToString("N")[..10];
        var patient = await Session.SignInAsync(app, s.PatientA);
        await Session.Anonymous(app).PostFormAsync("/account/sign-in", "/account/sign-in", new() { ["Email"] = s.PatientB.Email, ["Password"] = "wrong-password-here" });
        var thread = await patient.StartThreadOkAsync(s.Clinician, "Subj" + marker, "Body" + marker, [("file" + marker + ".png", Files.Png)]);
        await patient.StartThreadAsync(s.Clinician, "Rejected" + marker, "");
        var clinician = await Session.SignInAsync(app, s.Clinician);
        await clinician.ReplyAsync(thread, "Reply" + marker);

        var logs = string.Join("\n", app.Logs.Lines);

        Assert.Contains("sent in thread", logs, StringComparison.Ordinal); // the capture works
        foreach (var phi in new[] { marker, s.PatientA.Email, s.PatientB.Email, s.Clinician.Email, "Pat Alpha", "Alpha", "Pia Beta" })
        {
            Assert.DoesNotContain(phi, logs, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task DemoSeed_EmptyDatabase_CreatesThePracticeEncryptedAndAudited()
    {
        await using var app = await HaleFactory.CreateAsync(Providers.Sqlite);

        Assert.True(await DemoSeeder.SeedAsync(app.Services));
        Assert.False(await DemoSeeder.SeedAsync(app.Services)); // only into an empty database

        var (clinicians, nurses, frontDesk, admins, patients, threads, audits) = await app.WithDbAsync(async db => (
            await db.Users.CountAsync(u => u.Role == "clinician"),
            await db.Users.CountAsync(u => u.Role == "nurse"),
            await db.Users.CountAsync(u => u.Role == "frontdesk"),
            await db.Users.CountAsync(u => u.Role == "admin"),
            await db.Patients.CountAsync(),
            await db.Threads.CountAsync(),
            await db.AuditEvents.CountAsync()));
        Assert.Equal((3, 1, 1, 1, 12), (clinicians, nurses, frontDesk, admins, patients));
        Assert.InRange(threads, 24, 36);
        Assert.True(audits >= threads);
        var bytes = Directory.GetFiles(app.DataDirectory, "hale.db*").SelectMany(File.ReadAllBytes).ToArray();
        Assert.True(bytes.AsSpan().IndexOf("Refill for inhaler"u8) < 0, "demo subjects are encrypted like real ones");

        var patient = await Session.SignInAsync(app, new TestUser(Guid.Empty, "maria.garcia@demo.hale.test", "Maria Garcia", "patient"), DemoSeeder.Password);
        Assert.Contains("Dizzy after new blood pressure pill", await patient.Client.GetStringAsync("/messages"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_AnswersWithoutSignIn()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        Assert.Equal(HttpStatusCode.OK, (await Session.Anonymous(app).Client.GetAsync("/health")).StatusCode);
    }
}
