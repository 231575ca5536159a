using System.Net;
using Hale.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hale.Tests.Messaging;

public sealed class ValidationTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    public static TheoryData<string, string, string> BadMessages => new()
    {
        // case, body, expected error
        { "empty body", "   ", "Write your message before sending." },
        { "body over 20,000 characters", new string('x', 20_001), "Your message is 20,001 characters; the limit is 20,000." },
        { "line breaks counted once", string.Concat(Enumerable.Repeat("1234567890\r\n", 1_818)) + "123456789012", "Your message is 20,010 characters; the limit is 20,000." },
    };

    public static TheoryData<string, string, string, string> BadMessagesOnEachProvider()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var provider in new[] { Providers.Sqlite, Providers.Postgres })
        {
            foreach (var row in BadMessages)
            {
                data.Add(provider, (string)((ITheoryDataRow)row).GetData()[0]!, (string)((ITheoryDataRow)row).GetData()[1]!, (string)((ITheoryDataRow)row).GetData()[2]!);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BadMessagesOnEachProvider))]
    public async Task Compose_InvalidBody_ShowsErrorKeepsTypedTextStoresNothing(string provider, string @case, string body, string expected)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);

        var response = await patient.StartThreadAsync(s.Clinician, "Subject I typed for " + @case, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains(expected, html, StringComparison.Ordinal);
        Assert.Contains("Subject I typed for " + @case, html, StringComparison.Ordinal);
        if (body.Trim().Length > 0)
        {
            Assert.Contains(body, WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        }
        await AssertNothingStoredAsync(app, s);
    }

    [Fact]
    public async Task Compose_MissingSubjectTopicAndClinician_ShowsAnErrorForEachField()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);

        var response = await patient.PostFormAsync("/messages/new", "/messages/new", new()
        {
            ["Body"] = "Body that must survive the error",
            ["IdempotencyKey"] = Guid.NewGuid().ToString(),
        });

        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Choose what your message is about.", html, StringComparison.Ordinal);
        Assert.Contains("Enter a subject.", html, StringComparison.Ordinal);
        Assert.Contains("Choose who on your care team should get this message.", html, StringComparison.Ordinal);
        Assert.Contains("Body that must survive the error", html, StringComparison.Ordinal);
        await AssertNothingStoredAsync(app, s);
    }

    [Fact]
    public async Task Compose_ClinicianNotOnCareTeam_IsRefused()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);

        var response = await patient.StartThreadAsync(s.ForeignClinician, "To a stranger", "Hello");

        Assert.Contains("Choose who on your care team should get this message.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await AssertNothingStoredAsync(app, s);
    }

    public static TheoryData<string, string> BadAttachments => new()
    {
        { "six files", "Attach at most 5 files (you chose 6)." },
        { "over 10 MB", "\"big.pdf\" is larger than 10 MB." },
        { "text named .pdf", "\"fake.pdf\" is not a PDF, PNG, JPEG or HEIC file." },
        { "script named .png", "\"photo.png\" is not a PDF, PNG, JPEG or HEIC file." },
        { "empty file", "\"empty.jpg\" is not a PDF, PNG, JPEG or HEIC file." },
    };

    public static TheoryData<string, string, string> BadAttachmentsOnEachProvider()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var provider in new[] { Providers.Sqlite, Providers.Postgres })
        {
            foreach (var row in BadAttachments)
            {
                data.Add(provider, (string)((ITheoryDataRow)row).GetData()[0]!, (string)((ITheoryDataRow)row).GetData()[1]!);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BadAttachmentsOnEachProvider))]
    public async Task Compose_BadAttachment_ShowsSpecificErrorKeepsTextStoresNothing(string provider, string @case, string expected)
    {
        var app = await fixture.ForAsync(provider);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        (string, byte[])[] files = @case switch
        {
            "six files" => [.. Enumerable.Range(0, 6).Select(i => ($"p{i}.png", Files.Png))],
            "over 10 MB" => [("big.pdf", [.. Files.Pdf("big"), .. new byte[10 * 1024 * 1024]])],
            "text named .pdf" => [("fake.pdf", "just some text, not a PDF"u8.ToArray())],
            "script named .png" => [("photo.png", "<script>alert(1)</script>"u8.ToArray())],
            _ => [("empty.jpg", [])],
        };

        var response = await patient.StartThreadAsync(s.Clinician, "With files", "Text the patient typed", files);

        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(expected), html, StringComparison.Ordinal);
        Assert.Contains("Text the patient typed", html, StringComparison.Ordinal);
        await AssertNothingStoredAsync(app, s);
    }

    [Fact]
    public async Task Compose_HeicJpegAndPdf_AreAcceptedByTheirContent()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        byte[] heic = [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8];
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, .. "JFIF"u8, 0];

        var threadId = await patient.StartThreadOkAsync(s.Clinician, "Photos", "Three files", [("IMG_0001.HEIC", heic), ("scan", jpeg), ("report.bin", Files.Pdf("r"))]);

        var types = await app.WithDbAsync(db => db.Attachments.Where(a => a.ThreadId == threadId).Select(a => a.ContentType).OrderBy(t => t).ToListAsync());
        Assert.Equal(["application/pdf", "image/heic", "image/jpeg"], types);
    }

    [Fact]
    public async Task Post_WithoutAntiforgeryToken_IsRejectedWith400AndStoresNothing()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var fields = new Dictionary<string, string>
        {
            ["Topic"] = "Other",
            ["ClinicianId"] = s.Clinician.Id.ToString(),
            ["Subject"] = "No token",
            ["Body"] = "Should not be stored",
            ["IdempotencyKey"] = Guid.NewGuid().ToString(),
        };

        var missing = await patient.Client.PostAsync("/messages/new", new FormUrlEncodedContent(fields));
        var forged = await patient.PostFormAsync("/messages/new", "/messages/new", fields, token: "CfDJ8-forged-token");
        var otherUsersToken = await (await Session.SignInAsync(app, s.PatientB)).TokenFromAsync("/messages/new");
        var stolen = await patient.PostFormAsync("/messages/new", "/messages/new", fields, token: otherUsersToken);

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, stolen.StatusCode);
        await AssertNothingStoredAsync(app, s);
    }

    private static async Task AssertNothingStoredAsync(HaleFactory app, Scenario s)
    {
        var (threads, messages, attachments) = await app.WithDbAsync(async db => (
            await db.Threads.CountAsync(t => t.PatientId == s.PatientA.PatientId),
            await db.Messages.CountAsync(m => m.SenderUserId == s.PatientA.Id),
            await db.Attachments.CountAsync(a => db.Threads.Any(t => t.Id == a.ThreadId && t.PatientId == s.PatientA.PatientId))));
        Assert.Equal((0, 0, 0), (threads, messages, attachments));
    }
}
