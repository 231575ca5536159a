using Hale.BrowserTests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(HaleBrowserFixture))]

namespace Hale.BrowserTests;

/// <summary>
/// One real Hale server (Kestrel on a free loopback port, a fresh SQLite database seeded with the
/// demo practice) and one headless Debian Chromium, started once for the whole run. Each test
/// opens its own browser context through <see cref="BrowserSession"/>, so tests share nothing
/// but the server's data, and every test writes its own unique subjects.
/// </summary>
public sealed class HaleBrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium. Playwright never downloads a browser here: there is no network for that.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private WebApplication? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _dataDirectory;

    /// <summary>Why the tests cannot run on this machine, or null when they can.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>The server's own address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser was not started: " + SkipReason);

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            SkipReason = $"{ChromiumPath} is not installed (apt-get install chromium); the browser tests need Debian's Chromium.";
            return;
        }

        _dataDirectory = Directory.CreateTempSubdirectory("hale-browser-tests-").FullName;
        try
        {
            await StartAsync(_dataDirectory);
        }
        catch
        {
            // Leave no server, browser or temp folder behind when start-up fails half way.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(string dataDirectory)
    {
        _app = HaleApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--environment=Production",
            "--Hale:DataDirectory=" + dataDirectory,
            "--Database:Provider=Sqlite",
            "--Demo:Enabled=true",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning",
        ]);
        // StartupTasks (a hosted service) migrates the database and seeds the demo practice before this returns.
        await _app.StartAsync();

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.SingleOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        BaseAddress = new Uri(address.TrimEnd('/') + "/");

        // The default 5 s is short for a 2-core CI machine running other suites; this is a ceiling, not a wait.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Root has no user namespace sandbox here; the rest keeps Chromium from calling home.
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            ],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is { } browser)
        {
            _browser = null;
            await browser.DisposeAsync();
        }
        _playwright?.Dispose();
        _playwright = null;
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
        if (_dataDirectory is { } dataDirectory)
        {
            _dataDirectory = null;
            // SQLite pools connections; release them so the files can go.
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
