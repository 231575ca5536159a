using System.Text.RegularExpressions;

namespace Hale.BrowserTests.Pages;

/// <summary>/account/sign-in.</summary>
public sealed partial class SignInPage : HalePage
{
    private SignInPage(IPage page) : base(page)
    {
    }

    public ILocator Heading => Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Hale", Level = 1 });

    public ILocator Email => Page.GetByLabel("E-mail address");

    public ILocator Password => Page.GetByLabel("Password", new() { Exact = true });

    public ILocator SignInButton => Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true });

    public static async Task<SignInPage> OpenAsync(IPage page)
    {
        await page.GotoAsync("/account/sign-in");
        return await ExpectAsync(page);
    }

    public static async Task<SignInPage> ExpectAsync(IPage page)
    {
        await Expect(page).ToHaveURLAsync(SignInUrl());
        var signIn = new SignInPage(page);
        await Expect(signIn.Heading).ToBeVisibleAsync();
        return signIn;
    }

    /// <summary>Signs in as a patient or as care-team staff: both land on their messages.</summary>
    public async Task<InboxPage> SignInAsync(string email, string password)
    {
        await Email.FillAsync(email);
        await Password.FillAsync(password);
        await SignInButton.ClickAsync();
        return await InboxPage.ExpectAsync(Page);
    }

    [GeneratedRegex(@"/account/sign-in(\?|#|$)")]
    private static partial Regex SignInUrl();
}
