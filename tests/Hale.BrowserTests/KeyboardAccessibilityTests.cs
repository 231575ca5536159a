using System.Text.RegularExpressions;
using Hale.BrowserTests.Pages;

namespace Hale.BrowserTests;

/// <summary>A patient who cannot use a mouse: Tab, typing, arrow keys and Enter only, from sign-in to a sent message.</summary>
public sealed class KeyboardAccessibilityTests(HaleBrowserFixture fixture)
{
    [Fact]
    public async Task Patient_SignsInAndWritesByKeyboardOnly_EveryControlHasAnAccessibleName()
    {
        await using var session = await BrowserSession.StartAsync(fixture);
        var patient = DemoAccounts.OtherPatient;
        var run = Guid.NewGuid().ToString("N");
        var subject = $"Repeat prescription {run}";
        var body = $"Could I have my usual repeat prescription, please? Ref {run}.";

        await session.RunAsync(async page =>
        {
            var keyboard = page.Keyboard;
            async Task TabToAsync(ILocator expected)
            {
                await keyboard.PressAsync("Tab");
                await Expect(expected).ToBeFocusedAsync();
            }

            // Sign in: skip link first, then the fields in reading order, Enter on the button.
            var signIn = await SignInPage.OpenAsync(page);
            await AccessibilityChecks.ExpectEveryControlNamedAsync(page);
            await TabToAsync(signIn.SkipLink);
            await Expect(signIn.SkipLink).ToBeInViewportAsync();
            await session.ScreenshotAsync("skip-link-focused");
            await keyboard.PressAsync("Enter");
            await Expect(signIn.Main).ToBeFocusedAsync();
            await TabToAsync(signIn.Email);
            await keyboard.TypeAsync(patient.Email);
            await TabToAsync(signIn.Password);
            await keyboard.TypeAsync(DemoAccounts.Password);
            await TabToAsync(signIn.SignInButton);
            await session.ScreenshotAsync("sign-in-button-focused");
            await keyboard.PressAsync("Enter");

            // Messages. A redirect keeps the fragment of the address it answers (RFC 9110 10.2.2), so the
            // skip link's "#main" survives sign-in and Chromium starts the Tab order inside main: the
            // first stop is "Write a new message", with no need to pass the header again.
            var inbox = await InboxPage.ExpectAsync(page);
            await Expect(page).ToHaveURLAsync(new Regex("/messages#main$"));
            await AccessibilityChecks.ExpectEveryControlNamedAsync(page);
            await TabToAsync(inbox.WriteNewMessageLink);
            await keyboard.PressAsync("Enter");

            // The compose form: every control named, the warning there, and Tab visits the fields in order.
            var compose = await ComposePage.ExpectAsync(page);
            await AccessibilityChecks.ExpectEveryControlNamedAsync(page);
            await Expect(compose.Topics).ToHaveAccessibleNameAsync("What is your message about?");
            await Expect(compose.Clinician).ToHaveAccessibleDescriptionAsync("Your clinician's team, including nurses, can read and answer.");
            await Expect(compose.Attachments).ToHaveAccessibleDescriptionAsync(new Regex("^Up to \\d+ files"));
            await Expect(compose.EmergencyNotice).ToBeVisibleAsync();

            await TabToAsync(compose.SkipLink);
            await keyboard.PressAsync("Enter");
            await Expect(compose.Main).ToBeFocusedAsync();
            await TabToAsync(compose.BackToMessagesLink);

            // Into the topic radio group: focus lands on the first choice; an arrow key moves to the next and picks it.
            await TabToAsync(compose.Topic("Medical question"));
            await keyboard.PressAsync("ArrowDown");
            await Expect(compose.Topic("Prescription")).ToBeFocusedAsync();
            await Expect(compose.Topic("Prescription")).ToBeCheckedAsync();

            // The patient has one clinician, so "To" comes already chosen.
            await TabToAsync(compose.Clinician);
            await Expect(compose.Clinician.Locator("option:checked")).ToHaveTextAsync($"{DemoAccounts.OtherPatientClinician.Name} and care team");

            await TabToAsync(compose.Subject);
            await keyboard.TypeAsync(subject);
            await TabToAsync(compose.Body);
            await keyboard.TypeAsync(body);
            await TabToAsync(compose.Attachments);
            await TabToAsync(compose.SendButton);
            await TabToAsync(compose.SaveDraftButton);
            await keyboard.PressAsync("Shift+Tab");
            await Expect(compose.SendButton).ToBeFocusedAsync();
            await session.ScreenshotAsync("compose-send-focused");
            await keyboard.PressAsync("Enter");

            var thread = await ThreadPage.ExpectAsync(page, subject);
            await Expect(thread.StatusMessage("Your message was sent")).ToBeVisibleAsync();
            await Expect(thread.MessagesFrom(patient.Name)).ToContainTextAsync(body);
            await Expect(page.GetByText("Prescription", new() { Exact = true })).ToBeVisibleAsync();
            await AccessibilityChecks.ExpectEveryControlNamedAsync(page);
            await session.ScreenshotAsync("thread-sent");
        });
    }
}
