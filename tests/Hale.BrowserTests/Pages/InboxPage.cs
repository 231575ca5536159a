using System.Text.RegularExpressions;

namespace Hale.BrowserTests.Pages;

/// <summary>/messages: a patient's or a care-team member's conversations, unread first.</summary>
public sealed partial class InboxPage : HalePage
{
    private InboxPage(IPage page) : base(page)
    {
    }

    public ILocator Heading => Page.GetByRole(AriaRole.Heading, new() { Name = "Messages", Level = 1 });

    public ILocator Conversations => Page.GetByRole(AriaRole.List, new() { Name = "Conversations, unread first, then newest first" });

    public ILocator WriteNewMessageLink => Main.GetByRole(AriaRole.Link, new() { Name = "Write a new message" });

    public static async Task<InboxPage> ExpectAsync(IPage page)
    {
        await Expect(page).ToHaveURLAsync(InboxUrl());
        var inbox = new InboxPage(page);
        await Expect(inbox.Heading).ToBeVisibleAsync();
        return inbox;
    }

    /// <summary>The list item of the conversation with this (unique) subject.</summary>
    public ILocator Conversation(string subject) => Conversations.GetByRole(AriaRole.Listitem).Filter(new() { HasText = subject });

    public ILocator ConversationLink(string subject) => Conversation(subject).GetByRole(AriaRole.Link);

    /// <summary>The "N new" badge a conversation shows for messages the reader has not seen.</summary>
    public ILocator NewBadge(string subject) => Conversation(subject).GetByText(NewCount());

    /// <summary>Through the "New message" link in the header, as a patient would.</summary>
    public async Task<ComposePage> GoToNewMessageAsync()
    {
        await MainNavigation.GetByRole(AriaRole.Link, new() { Name = "New message", Exact = true }).ClickAsync();
        return await ComposePage.ExpectAsync(Page);
    }

    public async Task<ThreadPage> OpenConversationAsync(string subject)
    {
        await ConversationLink(subject).ClickAsync();
        return await ThreadPage.ExpectAsync(Page, subject);
    }

    /// <summary>Unread for sighted users (the badge) and for screen readers (the link's name starts "Unread:").</summary>
    public async Task ExpectUnreadAsync(string subject, int newMessages)
    {
        await Expect(ConversationLink(subject)).ToHaveAccessibleNameAsync(new Regex("^Unread: " + Regex.Escape(subject)));
        await Expect(NewBadge(subject)).ToHaveTextAsync($"{newMessages} new {(newMessages == 1 ? "message" : "messages")}");
    }

    public async Task ExpectReadAsync(string subject)
    {
        await Expect(ConversationLink(subject)).ToHaveAccessibleNameAsync(new Regex("^" + Regex.Escape(subject)));
        await Expect(NewBadge(subject)).ToHaveCountAsync(0);
    }

    [GeneratedRegex(@"/messages(\?|#|$)")]
    private static partial Regex InboxUrl();

    [GeneratedRegex(@"^\d+ new messages?$")]
    private static partial Regex NewCount();
}
