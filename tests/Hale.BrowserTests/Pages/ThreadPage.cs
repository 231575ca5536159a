using System.Text.RegularExpressions;

namespace Hale.BrowserTests.Pages;

/// <summary>/messages/{id}: one conversation, oldest message first, with the reply form below.</summary>
public sealed partial class ThreadPage : HalePage
{
    private ThreadPage(IPage page, string subject) : base(page)
    {
        Heading = page.GetByRole(AriaRole.Heading, new() { Name = subject, Exact = true, Level = 1 });
    }

    public ILocator Heading { get; }

    public ILocator Messages => Page.GetByRole(AriaRole.List, new() { Name = "Messages, oldest first" });

    /// <summary>Who the conversation is about; shown to the care team, not to the patient.</summary>
    public ILocator PatientBanner => Page.GetByRole(AriaRole.Region, new() { Name = "Patient", Exact = true });

    public ILocator ReplyBody => Page.GetByRole(AriaRole.Textbox, new() { Name = "Your message", Exact = true });

    public ILocator SendReplyButton => Page.GetByRole(AriaRole.Button, new() { Name = "Send reply", Exact = true });

    public ILocator BackToMessagesLink => Main.GetByRole(AriaRole.Link, new() { Name = "Back to messages", Exact = true });

    public static async Task<ThreadPage> ExpectAsync(IPage page, string subject)
    {
        await Expect(page).ToHaveURLAsync(ThreadUrl());
        var thread = new ThreadPage(page, subject);
        await Expect(thread.Heading).ToBeVisibleAsync();
        return thread;
    }

    /// <summary>The messages this person sent in the conversation, e.g. "Dr Ana Lee".</summary>
    public ILocator MessagesFrom(string senderName) =>
        Messages.GetByRole(AriaRole.Article, new() { Name = $"Message from {senderName}", Exact = true });

    public ILocator Attachment(string fileName) =>
        Messages.GetByRole(AriaRole.List, new() { Name = "Attachments" }).GetByRole(AriaRole.Link, new() { Name = fileName, Exact = true });

    public async Task ReplyAsync(string text)
    {
        await ReplyBody.FillAsync(text);
        await SendReplyButton.ClickAsync();
        await Expect(StatusMessage("Your message was sent.")).ToBeVisibleAsync();
    }

    /// <summary>Downloads an attachment through the browser and returns its bytes.</summary>
    public async Task<byte[]> DownloadAsync(string fileName)
    {
        var download = await Page.RunAndWaitForDownloadAsync(() => Attachment(fileName).ClickAsync());
        Assert.Equal(fileName, download.SuggestedFilename);
        await using var stream = await download.CreateReadStreamAsync();
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    public async Task<InboxPage> BackToMessagesAsync()
    {
        await BackToMessagesLink.ClickAsync();
        return await InboxPage.ExpectAsync(Page);
    }

    [GeneratedRegex(@"/messages/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(#.*)?$")]
    private static partial Regex ThreadUrl();
}
