using System.Net;
using System.Text.RegularExpressions;

namespace Hale.Bench;

/// <summary>A browser stand-in: keeps cookies, does not follow redirects, and reads antiforgery tokens from forms.</summary>
internal sealed partial class BenchClient : IDisposable
{
    private readonly HttpClient _http;

    public BenchClient(Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = true,
            CookieContainer = new CookieContainer(),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The real sign-in form: GET for the antiforgery token, POST the e-mail and password.</summary>
    public async Task SignInAsync(string email, string password)
    {
        var token = await FormTokenAsync("/account/sign-in");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = email,
            ["Password"] = password,
            ["__RequestVerificationToken"] = token,
        });
        using var response = await _http.PostAsync("/account/sign-in", form);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Sign-in as {email} answered {(int)response.StatusCode}, not a redirect.");
        }
    }

    /// <summary>GETs a page and returns the antiforgery token of its form.</summary>
    public async Task<string> FormTokenAsync(string path)
    {
        var html = await GetStringAsync(path);
        var match = TokenPattern().Match(html);
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"{path} has no antiforgery token.");
    }

    public async Task<string> GetStringAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}.");
        }
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A reply from the thread page's form; true when the app answered with the redirect that follows a stored message.</summary>
    public async Task<bool> ReplyAsync(Guid threadId, string body, string token)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(body), "Body" },
            { new StringContent(Guid.NewGuid().ToString()), "IdempotencyKey" },
            { new StringContent(token), "__RequestVerificationToken" },
        };
        using var response = await _http.PostAsync($"/messages/{threadId}", form);
        return response.StatusCode == HttpStatusCode.Redirect
            && response.Headers.Location?.OriginalString.StartsWith($"/messages/{threadId}#m-", StringComparison.Ordinal) == true;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
