using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Hale.BrowserTests;

/// <summary>
/// One test's own browser context on the shared browser. It lets the page reach the test server
/// and nothing else: any other request is aborted and recorded, and the test fails if there was
/// one (no CDN, font, analytics or other third party). Script errors and console errors, which is
/// where Chromium reports Content-Security-Policy violations, fail the test too. Each step can
/// be saved as a full-page screenshot; a failing run also keeps a Playwright trace.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly string _origin;
    private readonly ConcurrentQueue<string> _strayRequests = new();
    private readonly ConcurrentQueue<string> _pageErrors = new();
    private int _step;
    private bool _tracing;

    private BrowserSession(IBrowserContext context, IPage page, string origin, string artifactFolder)
    {
        _context = context;
        Page = page;
        _origin = origin;
        ArtifactFolder = artifactFolder;
    }

    public IPage Page { get; }

    /// <summary>Requests to anywhere but the test server, aborted before they left the browser ("GET https://…").</summary>
    public IReadOnlyCollection<string> StrayRequests => _strayRequests;

    /// <summary>Where this test's screenshots (and, when it fails, its trace) go.</summary>
    public string ArtifactFolder { get; }

    /// <summary>Opens a fresh context, or reports the test skipped when the machine has no Chromium.</summary>
    public static async Task<BrowserSession> StartAsync(HaleBrowserFixture fixture, [CallerMemberName] string testName = "")
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? "");

        var folder = ArtifactFolderFor(testName);
        if (Directory.Exists(folder))
        {
            // Only this run's pictures: a shorter run must not leave the last run's later steps behind.
            foreach (var old in Directory.EnumerateFiles(folder, "*.png").Concat(Directory.EnumerateFiles(folder, "trace.zip")))
            {
                File.Delete(old);
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"Screenshots: {folder}");

        var context = await fixture.Browser.NewContextAsync(new()
        {
            BaseURL = fixture.BaseAddress.ToString(),
            ViewportSize = new() { Width = 1280, Height = 800 },
            Locale = "en-US",
            TimezoneId = "America/New_York",
            AcceptDownloads = true,
        });
        // A 2-core CI machine running other suites can be slow; these are ceilings, not waits.
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(30_000);

        var origin = fixture.BaseAddress.GetLeftPart(UriPartial.Authority);
        var session = new BrowserSession(context, await context.NewPageAsync(), origin, folder);
        await context.RouteAsync("**/*", session.GuardAsync);
        session.Page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                session._pageErrors.Enqueue($"console error on {message.Location}: {message.Text}");
            }
        };
        session.Page.PageError += (_, error) => session._pageErrors.Enqueue("uncaught script error: " + error);

        await context.Tracing.StartAsync(new() { Screenshots = true, Snapshots = true, Title = testName });
        session._tracing = true;
        return session;
    }

    /// <summary>
    /// Runs the test's steps, then fails on any stray request or page error. When a step fails,
    /// a last screenshot and the trace are kept; open the trace from the test output folder with
    /// `.playwright/node/linux-x64/node .playwright/package/cli.js show-trace &lt;folder&gt;/trace.zip`.
    /// </summary>
    public async Task RunAsync(Func<IPage, Task> steps)
    {
        try
        {
            await steps(Page);
        }
        catch
        {
            await KeepEvidenceOfFailureAsync();
            throw;
        }
        Assert.True(_strayRequests.IsEmpty, "The page tried to reach other hosts than the Hale server:\n" + string.Join('\n', _strayRequests));
        Assert.True(_pageErrors.IsEmpty, "The page reported errors:\n" + string.Join('\n', _pageErrors));
    }

    /// <summary>Saves a full-page screenshot, numbered in step order.</summary>
    public async Task ScreenshotAsync(string step)
    {
        Directory.CreateDirectory(ArtifactFolder);
        var path = Path.Combine(ArtifactFolder, $"{Interlocked.Increment(ref _step):00}-{step}.png");
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (_tracing)
        {
            await _context.Tracing.StopAsync();
        }
        await _context.DisposeAsync();
    }

    private async Task GuardAsync(IRoute route)
    {
        var url = route.Request.Url;
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && string.Equals(uri.GetLeftPart(UriPartial.Authority), _origin, StringComparison.OrdinalIgnoreCase))
        {
            await route.ContinueAsync();
            return;
        }
        _strayRequests.Enqueue($"{route.Request.Method} {url}");
        await route.AbortAsync("blockedbyclient");
    }

    private async Task KeepEvidenceOfFailureAsync()
    {
        try
        {
            await ScreenshotAsync("failure");
            _tracing = false;
            Directory.CreateDirectory(ArtifactFolder);
            await _context.Tracing.StopAsync(new() { Path = Path.Combine(ArtifactFolder, "trace.zip") });
        }
        catch (PlaywrightException e)
        {
            TestContext.Current.TestOutputHelper?.WriteLine("Could not save the failure evidence: " + e.Message);
        }
        if (!_strayRequests.IsEmpty || !_pageErrors.IsEmpty)
        {
            TestContext.Current.TestOutputHelper?.WriteLine("Stray requests and page errors before the failure:\n"
                + string.Join('\n', _strayRequests.Concat(_pageErrors)));
        }
    }

    private static string ArtifactFolderFor(string testName)
    {
        var root = Environment.GetEnvironmentVariable("HALE_ARTIFACTS") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(AppContext.BaseDirectory, "artifacts");
        return Path.Combine(Path.GetFullPath(root), "screenshots", testName);
    }
}
