namespace Hale.BrowserTests;

/// <summary>The guard the other tests rely on for "no third-party requests" really blocks and records.</summary>
public sealed class BrowserSessionTests(HaleBrowserFixture fixture)
{
    [Fact]
    public async Task RequestToAnotherHost_IsAbortedAndRecorded()
    {
        await using var session = await BrowserSession.StartAsync(fixture);

        // .invalid never resolves, and the route aborts the request before any lookup.
        var error = await Assert.ThrowsAsync<PlaywrightException>(() => session.Page.GotoAsync("http://cdn.example.invalid/library.js"));

        Assert.Contains("ERR_BLOCKED_BY_CLIENT", error.Message, StringComparison.Ordinal);
        Assert.Equal(["GET http://cdn.example.invalid/library.js"], session.StrayRequests);
    }
}
