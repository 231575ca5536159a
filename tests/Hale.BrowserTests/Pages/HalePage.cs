namespace Hale.BrowserTests.Pages;

/// <summary>What every Hale page has: the header with the main navigation and, when signed in, "Sign out".</summary>
public abstract class HalePage(IPage page)
{
    public IPage Page { get; } = page;

    /// <summary>The first thing Tab reaches on every page; it moves focus to the main content.</summary>
    public ILocator SkipLink => Page.GetByRole(AriaRole.Link, new() { Name = "Skip to main content", Exact = true });

    public ILocator Header => Page.GetByRole(AriaRole.Banner);

    public ILocator MainNavigation => Header.GetByRole(AriaRole.Navigation, new() { Name = "Main" });

    public ILocator SignOutButton => Header.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true });

    public ILocator Main => Page.GetByRole(AriaRole.Main);

    /// <summary>A status message such as the confirmation shown after a send ("Your message was sent.").</summary>
    public ILocator StatusMessage(string text) => Main.GetByRole(AriaRole.Status).Filter(new() { HasText = text });

    public async Task<SignInPage> SignOutAsync()
    {
        await SignOutButton.ClickAsync();
        var signIn = await SignInPage.ExpectAsync(Page);
        await Expect(signIn.SignOutButton).ToHaveCountAsync(0);
        return signIn;
    }
}
