using System.Net;
using Hale.Cli;
using Hale.Features.Account;
using Hale.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hale.Tests.Account;

public sealed class AccountTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task SignIn_UnknownEmailWrongPasswordLockedAndNotYetActivated_AllGetTheSamePage()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var anonymous = Session.Anonymous(app);
        string invitedEmail;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            invitedEmail = $"invited.{Guid.NewGuid():N}@test.example";
            await scope.ServiceProvider.GetRequiredService<Accounts>().InvitePatientAsync(s.PracticeId, invitedEmail, new Accounts.PatientDetails("In", "Vited", null, [s.Clinician.Id]));
        }
        for (var i = 0; i < 5; i++)
        {
            await anonymous.PostFormAsync("/account/sign-in", "/account/sign-in", new() { ["Email"] = s.PatientB.Email, ["Password"] = "lock-me-out-" + i });
        }

        async Task<string> Attempt(string email)
        {
            var response = await anonymous.PostFormAsync("/account/sign-in", "/account/sign-in", new() { ["Email"] = email, ["Password"] = "whatever-it-is-1" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync();
            // the form echoes the e-mail typed and carries a fresh token; everything else must match
            return System.Text.RegularExpressions.Regex.Replace(html.Replace(email, "EMAIL", StringComparison.Ordinal), "value=\"CfDJ8[^\"]*\"", "");
        }

        var unknown = await Attempt("nobody@test.example");
        Assert.Contains(WebUtility.HtmlEncode(SignInModel.FailureMessage), unknown, StringComparison.Ordinal);
        Assert.Equal(unknown, await Attempt(s.PatientA.Email));
        Assert.Equal(unknown, await Attempt(s.PatientB.Email));
        Assert.Equal(unknown, await Attempt(invitedEmail));
    }

    [Fact]
    public async Task SignOut_CopiedCookieReplayedAfterwards_IsRejected()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var signInPage = await client.GetAsync("/account/sign-in");
        var antiforgeryCookie = signInPage.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("hale-af=", StringComparison.Ordinal)).Split(';')[0];
        var token = Session.TokenIn(await signInPage.Content.ReadAsStringAsync());
        using var signIn = new HttpRequestMessage(HttpMethod.Post, "/account/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Email"] = s.PatientA.Email, ["Password"] = Scenario.Password, ["__RequestVerificationToken"] = token }),
        };
        signIn.Headers.Add("Cookie", antiforgeryCookie);
        var signedIn = await client.SendAsync(signIn);
        var authCookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("hale=", StringComparison.Ordinal)).Split(';')[0];

        async Task<HttpStatusCode> WithCopiedCookie()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/messages");
            request.Headers.Add("Cookie", authCookie);
            return (await client.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await WithCopiedCookie());
        var session = await Session.SignInAsync(app, s.PatientA);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostFormAsync("/messages", "/account/sign-out", [])).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookie());
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LocksTheAccountEvenForTheRightPassword()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var anonymous = Session.Anonymous(app);
        for (var i = 0; i < 5; i++)
        {
            await anonymous.PostFormAsync("/account/sign-in", "/account/sign-in", new() { ["Email"] = s.PatientA.Email, ["Password"] = "not-the-password-" + i });
        }

        var right = await anonymous.PostFormAsync("/account/sign-in", "/account/sign-in", new() { ["Email"] = s.PatientA.Email, ["Password"] = Scenario.Password });

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains(WebUtility.HtmlEncode(SignInModel.FailureMessage), await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var lockoutEnd = await app.WithDbAsync(db => db.Users.Where(u => u.Id == s.PatientA.Id).Select(u => u.LockoutEnd).SingleAsync());
        Assert.NotNull(lockoutEnd);
        var outcomes = await app.WithDbAsync(db => db.AuditEvents.Where(a => a.UserId == s.PatientA.Id && a.Action == "session.sign-in").Select(a => a.Outcome).ToListAsync());
        Assert.Equal(6, outcomes.Count);
        Assert.Equal("locked-out", outcomes[^1]);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task AdminInvitesPatient_PatientActivatesWithLink_SignsInAndSeesCareTeam(string provider)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var admin = await Session.SignInAsync(app, s.Admin);
        var email = $"new.patient.{Guid.NewGuid():N}@test.example";

        var created = await admin.PostFormAsync("/admin/users", "/admin/users?handler=Patient", new()
        {
            ["GivenName"] = "Nova",
            ["FamilyName"] = "Patient",
            ["PatientEmail"] = email,
            ["BirthDate"] = "1975-04-02",
            ["CareTeam"] = s.Clinician.Id.ToString(),
        });
        var html = await created.Content.ReadAsStringAsync();
        var link = System.Text.RegularExpressions.Regex.Match(html, "http://localhost/account/activate/[A-Za-z0-9_-]+").Value;
        Assert.NotEmpty(link);
        var invitation = await app.WithDbAsync(db => db.Invitations.SingleAsync(i => db.Users.Any(u => u.Id == i.UserId && u.Email == email)));
        Assert.Null(invitation.DeliveredAt); // waiting for a mail sender, which can rebuild the link
        Assert.Equal(s.Admin.Id, invitation.CreatedByUserId);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            Assert.Equal(link, await scope.ServiceProvider.GetRequiredService<Accounts>().LinkForDeliveryAsync(invitation));
        }
        Assert.DoesNotContain(link.Split('/')[^1], System.Text.Encoding.Latin1.GetString(invitation.TokenCipher!), StringComparison.Ordinal);

        var anonymous = Session.Anonymous(app);
        var path = new Uri(link).AbsolutePath;
        var weak = await anonymous.PostFormAsync(path, path, new() { ["Password"] = "password123", ["ConfirmPassword"] = "password123" });
        Assert.Contains("This password is too common.", await weak.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var mismatch = await anonymous.PostFormAsync(path, path, new() { ["Password"] = "a long unique phrase", ["ConfirmPassword"] = "another phrase" });
        Assert.Contains("The two passwords are not the same.", await mismatch.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var ok = await anonymous.PostFormAsync(path, path, new() { ["Password"] = "violet-harbor-lantern", ["ConfirmPassword"] = "violet-harbor-lantern" });
        Assert.Contains("Your account is ready.", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var reused = await anonymous.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, reused.StatusCode);
        Assert.Null(await app.WithDbAsync(db => db.Invitations.Where(i => i.Id == invitation.Id).Select(i => i.TokenCipher).SingleAsync()));
        var patient = await Session.SignInAsync(app, new TestUser(Guid.Empty, email, "Nova Patient", Roles.Patient), "violet-harbor-lantern");
        Assert.Contains("Dr Clara Test and care team", await patient.Client.GetStringAsync("/messages/new"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActivationLink_AfterSeventyTwoHours_HasExpired()
    {
        await using var app = await HaleFactory.CreateAsync(Providers.Sqlite); // its own clock, moved forward for good
        var s = await Scenario.CreateAsync(app);
        string link;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<Accounts>().InvitePatientAsync(s.PracticeId, $"late.{Guid.NewGuid():N}@test.example",
                new Accounts.PatientDetails("Late", "Comer", null, [s.Clinician.Id]));
            link = created.ActivationLink!;
        }
        app.Clock.Advance(TimeSpan.FromHours(73));
        var path = new Uri(link).AbsolutePath;

        var page = await Session.Anonymous(app).Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("This link has expired or was already used", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var post = await Session.Anonymous(app).PostFormAsync("/account/sign-in", path, new() { ["Password"] = "violet-harbor-lantern", ["ConfirmPassword"] = "violet-harbor-lantern" });
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    [Fact]
    public async Task CliUsersAdd_WithPasswordOnStandardInput_CreatesStaffWhoCanSignIn()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var email = $"cli.nurse.{Guid.NewGuid():N}@test.example";

        var exit = await HaleCli.RunAsync(app.Services, ["users", "add", "--role", "nurse", "--email", email, "--name", "Nora Cli"], new StringReader("amber-meadow-compass\n"));

        Assert.Equal(0, exit);
        var session = await Session.SignInAsync(app, new TestUser(Guid.Empty, email, "Nora Cli", Roles.Nurse), "amber-meadow-compass");
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync("/messages")).StatusCode);
    }

    [Fact]
    public async Task CliUsersAdd_WeakPasswordOrBadRole_FailsWithoutCreatingAnything()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var email = $"cli.weak.{Guid.NewGuid():N}@test.example";

        var weak = await HaleCli.RunAsync(app.Services, ["users", "add", "--role", "clinician", "--email", email, "--name", "Weak Pass"], new StringReader("1234567890\n"));
        var badRole = await HaleCli.RunAsync(app.Services, ["users", "add", "--role", "surgeon", "--email", email, "--name", "Bad Role"], new StringReader("amber-meadow-compass\n"));

        Assert.NotEqual(0, weak);
        Assert.NotEqual(0, badRole);
        Assert.False(await app.WithDbAsync(db => db.Users.AnyAsync(u => u.Email == email)));
    }

    [Fact]
    public async Task CliUsersInvite_CreatesPatientWithCareTeamAndADurableInvitation()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var email = $"cli.patient.{Guid.NewGuid():N}@test.example";

        var exit = await HaleCli.RunAsync(app.Services, ["users", "invite", "--email", email, "--name", "Cleo Invite", "--birth-date", "1999-09-09", "--clinician", s.Clinician.Email]);

        Assert.Equal(0, exit);
        var (patient, invitations) = await app.WithDbAsync(async db =>
        {
            var user = await db.Users.SingleAsync(u => u.Email == email);
            var p = await db.Patients.Include(x => x.CareTeam).SingleAsync(x => x.UserId == user.Id);
            return (p, await db.Invitations.CountAsync(i => i.UserId == user.Id && i.UsedAt == null));
        });
        Assert.Equal(("Cleo", "Invite", new DateOnly(1999, 9, 9)), (patient.GivenName, patient.FamilyName, patient.BirthDate!.Value));
        Assert.Equal([s.Clinician.Id], patient.CareTeam.Select(m => m.StaffUserId));
        Assert.Equal(1, invitations);
    }

    [Fact]
    public async Task AdminAddsStaff_DuplicateEmail_ShowsErrorNextToTheField()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var admin = await Session.SignInAsync(app, s.Admin);

        var response = await admin.PostFormAsync("/admin/users", "/admin/users?handler=Staff", new() { ["StaffName"] = "Dup", ["StaffEmail"] = s.Nurse.Email, ["StaffRole"] = "nurse" });

        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("An account with this e-mail address already exists.", html, StringComparison.Ordinal);
        Assert.Contains("value=\"Dup\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOut_ClearsTheSessionAndSiteData()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);

        var response = await patient.PostFormAsync("/messages", "/account/sign-out", []);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("\"storage\"", response.Headers.GetValues("Clear-Site-Data").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await patient.Client.GetAsync("/messages")).StatusCode);
    }
}
