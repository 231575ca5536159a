using System.Text.RegularExpressions;

namespace Hale.BrowserTests.Pages;

/// <summary>/messages/new: a patient starts a conversation with their care team.</summary>
public sealed partial class ComposePage : HalePage
{
    private ComposePage(IPage page) : base(page)
    {
    }

    public ILocator Heading => Page.GetByRole(AriaRole.Heading, new() { Name = "New message to your care team", Level = 1 });

    /// <summary>The "Not for emergencies" warning, which must be on screen before the patient can send.</summary>
    public ILocator EmergencyNotice => Main.GetByRole(AriaRole.Note).Filter(new() { HasText = "Not for emergencies" });

    public ILocator Topics => Page.GetByRole(AriaRole.Group, new() { Name = "What is your message about?" });

    public ILocator Clinician => Page.GetByRole(AriaRole.Combobox, new() { Name = "To", Exact = true });

    public ILocator Subject => Page.GetByRole(AriaRole.Textbox, new() { Name = "Subject", Exact = true });

    public ILocator Body => Page.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true });

    public ILocator Attachments => Page.GetByLabel("Attach photos or PDFs (optional)");

    public ILocator SendButton => Page.GetByRole(AriaRole.Button, new() { Name = "Send message", Exact = true });

    public ILocator SaveDraftButton => Page.GetByRole(AriaRole.Button, new() { Name = "Save draft", Exact = true });

    public ILocator BackToMessagesLink => Main.GetByRole(AriaRole.Link, new() { Name = "Back to messages", Exact = true });

    public static async Task<ComposePage> ExpectAsync(IPage page)
    {
        await Expect(page).ToHaveURLAsync(ComposeUrl());
        var compose = new ComposePage(page);
        await Expect(compose.Heading).ToBeVisibleAsync();
        return compose;
    }

    public ILocator Topic(string label) => Topics.GetByRole(AriaRole.Radio, new() { Name = label, Exact = true });

    /// <summary>Chooses the clinician by the name the patient sees ("Dr Ana Lee and care team").</summary>
    public Task ChooseClinicianAsync(string clinicianName) =>
        Clinician.SelectOptionAsync(new SelectOptionValue { Label = $"{clinicianName} and care team" });

    public Task AttachAsync(string fileName, string mimeType, byte[] content) =>
        Attachments.SetInputFilesAsync(new FilePayload { Name = fileName, MimeType = mimeType, Buffer = content });

    public async Task<ThreadPage> SendAsync(string subject)
    {
        await SendButton.ClickAsync();
        return await ThreadPage.ExpectAsync(Page, subject);
    }

    [GeneratedRegex(@"/messages/new(\?|#|$)")]
    private static partial Regex ComposeUrl();
}
