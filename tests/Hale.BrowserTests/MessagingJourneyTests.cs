using Hale.BrowserTests.Pages;

namespace Hale.BrowserTests;

/// <summary>The core loop of Hale in a real browser: a patient writes with a photo, the clinician answers, the patient reads it.</summary>
public sealed class MessagingJourneyTests(HaleBrowserFixture fixture)
{
    [Fact]
    public async Task PatientAndClinician_ExchangeMessagesWithAttachment_PatientSeesReply()
    {
        await using var session = await BrowserSession.StartAsync(fixture);
        var patient = DemoAccounts.Patient;
        var clinician = DemoAccounts.Clinician;
        var run = Guid.NewGuid().ToString("N");
        var subject = $"Knee pain after running {run}";
        var body = $"My left knee hurts after a 5 km run and is a little swollen. Photo attached. Ref {run}.";
        var reply = $"Rest it, use ice for 20 minutes three times a day, and book a visit if it is not better in a week. Ref {run}.";
        const string photoName = "knee-photo.png";
        var photo = TestFiles.Png();

        await session.RunAsync(async page =>
        {
            // The patient writes to her clinician, with a photo.
            var signIn = await SignInPage.OpenAsync(page);
            await session.ScreenshotAsync("patient-sign-in");
            var inbox = await signIn.SignInAsync(patient.Email, DemoAccounts.Password);
            await Expect(inbox.Header).ToContainTextAsync(patient.Name);
            await session.ScreenshotAsync("patient-inbox");

            var compose = await inbox.GoToNewMessageAsync();
            await Expect(compose.EmergencyNotice).ToBeVisibleAsync();
            await Expect(compose.EmergencyNotice).ToContainTextAsync("Not for emergencies");
            await compose.Topic("Medical question").CheckAsync();
            await compose.ChooseClinicianAsync(clinician.Name);
            await compose.Subject.FillAsync(subject);
            await compose.Body.FillAsync(body);
            await compose.AttachAsync(photoName, "image/png", photo);
            await session.ScreenshotAsync("patient-compose-filled");

            var sent = await compose.SendAsync(subject);
            await Expect(sent.StatusMessage("Your message was sent")).ToBeVisibleAsync();
            await Expect(sent.MessagesFrom(patient.Name)).ToContainTextAsync(body);
            await Expect(sent.Attachment(photoName)).ToBeVisibleAsync();
            await Expect(sent.PatientBanner).ToHaveCountAsync(0);
            await session.ScreenshotAsync("patient-thread-sent");
            signIn = await sent.SignOutAsync();
            await session.ScreenshotAsync("patient-signed-out");

            // The clinician finds it unread, sees who it is from, opens the photo and answers.
            var clinicianInbox = await signIn.SignInAsync(clinician.Email, DemoAccounts.Password);
            await clinicianInbox.ExpectUnreadAsync(subject, newMessages: 1);
            await Expect(clinicianInbox.Conversation(subject)).ToContainTextAsync(patient.Name);
            await Expect(clinicianInbox.Conversation(subject)).ToContainTextAsync("Medical question");
            await session.ScreenshotAsync("clinician-inbox");

            var thread = await clinicianInbox.OpenConversationAsync(subject);
            await Expect(thread.PatientBanner).ToContainTextAsync(patient.Name);
            await Expect(thread.PatientBanner).ToContainTextAsync($"{DemoAccounts.PatientAgeToday()} years");
            await Expect(thread.PatientBanner).ToContainTextAsync("born 14 Mar 1958");
            await Expect(thread.MessagesFrom(patient.Name)).ToContainTextAsync(body);
            Assert.Equal(photo, await thread.DownloadAsync(photoName));
            await session.ScreenshotAsync("clinician-thread");

            await thread.ReplyAsync(reply);
            await Expect(thread.MessagesFrom(clinician.Name)).ToContainTextAsync(reply);
            await session.ScreenshotAsync("clinician-replied");
            signIn = await thread.SignOutAsync();

            // The patient sees the answer waiting, reads it, and it is no longer new.
            inbox = await signIn.SignInAsync(patient.Email, DemoAccounts.Password);
            await inbox.ExpectUnreadAsync(subject, newMessages: 1);
            await session.ScreenshotAsync("patient-inbox-reply-waiting");

            var answered = await inbox.OpenConversationAsync(subject);
            await Expect(answered.MessagesFrom(clinician.Name)).ToContainTextAsync(reply);
            await Expect(answered.Messages.GetByRole(AriaRole.Article)).ToHaveCountAsync(2);
            await session.ScreenshotAsync("patient-reads-reply");

            inbox = await answered.BackToMessagesAsync();
            await inbox.ExpectReadAsync(subject);
        });
    }
}
