using System.Text;
using Hale.Cli;
using Hale.Features.Messaging;
using Hale.Security;
using Hale.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hale.Tests.Security;

public sealed class EncryptionAtRestTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task SqliteFile_AfterSendingMessageAndDraft_ContainsNoPlaintextSubjectBodyFileNameOrAttachment()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var marker = Guid.NewGuid().ToString("N");
        var subject = $"SUBJ-{marker}";
        var body = $"BODY-{marker} my symptoms are private";
        var fileName = $"FILE-{marker}.pdf";
        var attachment = Files.Pdf($"ATTACH-{marker}");
        var threadId = await patient.StartThreadOkAsync(s.Clinician, subject, body, [(fileName, attachment)]);
        await patient.PostFormAsync($"/messages/{threadId}", $"/messages/{threadId}?handler=SaveDraft", new() { ["Body"] = $"DRAFT-{marker}" });

        // Every byte on disk: the database, its WAL and shared-memory files.
        var bytes = Directory.GetFiles(app.DataDirectory, "hale.db*").SelectMany(File.ReadAllBytes).ToArray();

        Assert.True(bytes.Length > 0);
        foreach (var secret in new[] { subject, $"BODY-{marker}", fileName, $"ATTACH-{marker}", $"DRAFT-{marker}" })
        {
            Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(secret)), $"plaintext '{secret[..5]}…' found in the database files");
            Assert.False(Contains(bytes, Encoding.Unicode.GetBytes(secret)), "UTF-16 plaintext found in the database files");
        }
        // and the app still reads it back
        Assert.Contains(body, await patient.Client.GetStringAsync($"/messages/{threadId}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresRows_AfterSendingMessage_ContainNoPlaintext()
    {
        var app = await fixture.ForAsync(Providers.Postgres);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var marker = Guid.NewGuid().ToString("N");
        var threadId = await patient.StartThreadOkAsync(s.Clinician, $"SUBJ-{marker}", $"BODY-{marker}", [($"FILE-{marker}.pdf", Files.Pdf($"ATTACH-{marker}"))]);
        await patient.PostFormAsync($"/messages/{threadId}", $"/messages/{threadId}?handler=SaveDraft", new() { ["Body"] = $"DRAFT-{marker}" });
        Assert.Equal(1, await app.WithDbAsync(db => db.Drafts.CountAsync(d => d.ThreadId == threadId)));

        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        foreach (var table in new[] { "Threads", "Messages", "Attachments", "Drafts", "AuditEvents" })
        {
            // Each row as text: strings appear as they are and bytea as hex, so unencrypted content would show.
            await using var command = new NpgsqlCommand($"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{table}\" t", connection);
            var dump = (string)(await command.ExecuteScalarAsync())!;
            Assert.DoesNotContain(marker, dump, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(marker)), dump, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task KeysRotate_NewDataKeyAndRewrappedMaster_OldMessagesStayReadable(string provider)
    {
        await using var app = await HaleFactory.CreateAsync(provider); // rotation changes the whole key ring
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var before = await patient.StartThreadOkAsync(s.Clinician, "Before rotation", "Written under the first key.");
        var oldKey = await app.WithDbAsync(db => db.Messages.Where(m => m.ThreadId == before).Select(m => m.KeyId).SingleAsync());
        var ring = app.Services.GetRequiredService<MasterKeyRing>();
        var oldMaster = ring.ActiveKeyId;

        var exit = await HaleCli.RunAsync(app.Services, ["keys", "rotate"]);

        Assert.Equal(0, exit);
        Assert.NotEqual(oldMaster, ring.ActiveKeyId);
        Assert.Equal(2, Directory.GetFiles(ring.KeyDirectory, "master-*.key").Length);
        var keys = await app.WithDbAsync(db => db.DataKeys.AsNoTracking().ToListAsync());
        Assert.All(keys, k => Assert.Equal(ring.ActiveKeyId, k.MasterKeyId));
        Assert.Single(keys, k => k.IsActive);

        var after = await patient.StartThreadOkAsync(s.Clinician, "After rotation", "Written under the new key.");
        var newKey = await app.WithDbAsync(db => db.Messages.Where(m => m.ThreadId == after).Select(m => m.KeyId).SingleAsync());
        Assert.NotEqual(oldKey, newKey);
        Assert.Contains("Written under the first key.", await patient.Client.GetStringAsync($"/messages/{before}"), StringComparison.Ordinal);
        Assert.Contains("Written under the new key.", await patient.Client.GetStringAsync($"/messages/{after}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ciphertext_MovedToAnotherRow_DoesNotDecrypt()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var s = await Scenario.CreateAsync(app);
        var patient = await Session.SignInAsync(app, s.PatientA);
        var first = await patient.StartThreadOkAsync(s.Clinician, "First", "Body one");
        var second = await patient.StartThreadOkAsync(s.Clinician, "Second", "Body two");
        var encryptor = app.Services.GetRequiredService<FieldEncryptor>();

        var (cipher, key) = await app.WithDbAsync(async db =>
            await db.Messages.Where(m => m.ThreadId == first).Select(m => new { m.BodyCipher, m.KeyId }).SingleAsync() is var r ? (r.BodyCipher, r.KeyId) : default);
        var secondId = await app.WithDbAsync(db => db.Messages.Where(m => m.ThreadId == second).Select(m => m.Id).SingleAsync());

        await Assert.ThrowsAnyAsync<System.Security.Cryptography.CryptographicException>(() =>
            encryptor.DecryptAsync(cipher, key, Contexts.MessageBody(secondId)));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task MasterKeyFile_IsOwnerReadWriteOnly()
    {
        var app = await fixture.ForAsync(Providers.Sqlite);
        var ring = app.Services.GetRequiredService<MasterKeyRing>();
        var file = Directory.GetFiles(ring.KeyDirectory, "master-*.key").First();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(ring.KeyDirectory));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
