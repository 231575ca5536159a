using System.Net;
using System.Text.RegularExpressions;
using Hale.Data;
using Hale.Features.Account;
using Hale.Features.Messaging;
using Hale.Features.Patients;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Hale.Tests.Infrastructure;

public sealed record TestUser(Guid Id, string Email, string Name, string Role, Guid? PatientId = null);

/// <summary>
/// A practice of its own per test: a clinician with two patients on their care team, a nurse on the
/// first patient's team, a colleague with no care-team link, an admin, and a clinician of another practice.
/// </summary>
public sealed class Scenario
{
    public const string Password = "correct-horse-battery-9";

    public required Guid PracticeId { get; init; }
    public required TestUser Clinician { get; init; }
    public required TestUser Nurse { get; init; }
    public required TestUser Colleague { get; init; }
    public required TestUser FrontDesk { get; init; }
    public required TestUser Admin { get; init; }
    public required TestUser PatientA { get; init; }
    public required TestUser PatientB { get; init; }
    public required TestUser ForeignClinician { get; init; }

    public static async Task<Scenario> CreateAsync(HaleFactory app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<HaleUser>>();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var practice = new Practice { Id = Guid.CreateVersion7(), Name = "Test practice " + tag };
        var foreign = new Practice { Id = Guid.CreateVersion7(), Name = "Other practice " + tag };
        db.Practices.AddRange(practice, foreign);
        await db.SaveChangesAsync();

        async Task<TestUser> Add(Guid practiceId, string role, string name)
        {
            var email = $"{role}.{name.Replace(' ', '.').ToLowerInvariant()}.{tag}@test.example";
            var user = new HaleUser { Id = Guid.CreateVersion7(), UserName = email, Email = email, EmailConfirmed = true, DisplayName = name, Role = role, PracticeId = practiceId, CreatedAt = app.Clock.GetUtcNow().UtcDateTime };
            var result = await users.CreateAsync(user, Password);
            Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
            return new TestUser(user.Id, email, name, role);
        }

        var clinician = await Add(practice.Id, Roles.Clinician, "Dr Clara Test");
        var nurse = await Add(practice.Id, Roles.Nurse, "Nina Nurse");
        var colleague = await Add(practice.Id, Roles.Clinician, "Dr Colin Other");
        var frontDesk = await Add(practice.Id, Roles.FrontDesk, "Fred Desk");
        var admin = await Add(practice.Id, Roles.Admin, "Alma Admin");
        var foreignClinician = await Add(foreign.Id, Roles.Clinician, "Dr Far Away");
        var patientAUser = await Add(practice.Id, Roles.Patient, "Pat Alpha");
        var patientBUser = await Add(practice.Id, Roles.Patient, "Pia Beta");

        var patientA = new Patient { Id = Guid.CreateVersion7(), PracticeId = practice.Id, UserId = patientAUser.Id, GivenName = "Pat", FamilyName = "Alpha", BirthDate = new DateOnly(1980, 5, 17) };
        patientA.CareTeam.Add(new CareTeamMember { PatientId = patientA.Id, StaffUserId = clinician.Id });
        patientA.CareTeam.Add(new CareTeamMember { PatientId = patientA.Id, StaffUserId = nurse.Id });
        var patientB = new Patient { Id = Guid.CreateVersion7(), PracticeId = practice.Id, UserId = patientBUser.Id, GivenName = "Pia", FamilyName = "Beta", BirthDate = new DateOnly(1992, 1, 3) };
        patientB.CareTeam.Add(new CareTeamMember { PatientId = patientB.Id, StaffUserId = clinician.Id });
        db.Patients.AddRange(patientA, patientB);
        await db.SaveChangesAsync();

        return new Scenario
        {
            PracticeId = practice.Id,
            Clinician = clinician,
            Nurse = nurse,
            Colleague = colleague,
            FrontDesk = frontDesk,
            Admin = admin,
            PatientA = patientAUser with { PatientId = patientA.Id },
            PatientB = patientBUser with { PatientId = patientB.Id },
            ForeignClinician = foreignClinician,
        };
    }
}

/// <summary>A signed-in browser-like client: real sign-in form, cookies, antiforgery tokens read from the pages.</summary>
public sealed partial class Session(HttpClient client)
{
    public HttpClient Client { get; } = client;

    public static async Task<Session> SignInAsync(HaleFactory app, TestUser user, string password = Scenario.Password)
    {
        var session = new Session(app.CreateBrowserClient());
        var response = await session.PostFormAsync("/account/sign-in", "/account/sign-in", new() { ["Email"] = user.Email, ["Password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return session;
    }

    public static Session Anonymous(HaleFactory app) => new(app.CreateBrowserClient());

    public async Task<string> TokenFromAsync(string pageUrl)
    {
        using var response = await Client.GetAsync(pageUrl);
        return TokenIn(await response.Content.ReadAsStringAsync());
    }

    public static string TokenIn(string html)
    {
        var match = TokenPattern().Match(html);
        Assert.True(match.Success, "The page has no antiforgery token.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public async Task<HttpResponseMessage> PostFormAsync(string tokenPage, string url, Dictionary<string, string> fields, IEnumerable<(string Name, byte[] Content)>? files = null, string? token = null)
    {
        token ??= await TokenFromAsync(tokenPage);
        var form = new MultipartFormDataContent();
        foreach (var (key, value) in fields)
        {
            form.Add(new StringContent(value), key);
        }
        form.Add(new StringContent(token), "__RequestVerificationToken");
        foreach (var (name, content) in files ?? [])
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "Attachments", name);
        }
        return await Client.PostAsync(url, form);
    }

    public async Task<HttpResponseMessage> StartThreadAsync(TestUser clinician, string subject, string body, IEnumerable<(string, byte[])>? files = null, Guid? key = null, MessageTopic topic = MessageTopic.MedicalQuestion) =>
        await PostFormAsync("/messages/new", "/messages/new", new()
        {
            ["Topic"] = topic.ToString(),
            ["ClinicianId"] = clinician.Id.ToString(),
            ["Subject"] = subject,
            ["Body"] = body,
            ["IdempotencyKey"] = (key ?? Guid.NewGuid()).ToString(),
        }, files);

    public async Task<Guid> StartThreadOkAsync(TestUser clinician, string subject, string body, IEnumerable<(string, byte[])>? files = null)
    {
        var response = await StartThreadAsync(clinician, subject, body, files);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return ThreadIdFrom(response);
    }

    public async Task<HttpResponseMessage> ReplyAsync(Guid threadId, string body, IEnumerable<(string, byte[])>? files = null, Guid? key = null) =>
        await PostFormAsync($"/messages/{threadId}", $"/messages/{threadId}", new()
        {
            ["Body"] = body,
            ["IdempotencyKey"] = (key ?? Guid.NewGuid()).ToString(),
        }, files);

    public static Guid ThreadIdFrom(HttpResponseMessage response)
    {
        var location = response.Headers.Location?.OriginalString ?? throw new InvalidOperationException("No redirect.");
        return Guid.Parse(location.Split('/', '#')[2]);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}

public static class Files
{
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    public static byte[] Pdf(string marker) => System.Text.Encoding.ASCII.GetBytes($"%PDF-1.4\n% {marker}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
}
