using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hale.Features.Account;

[AllowAnonymous]
public sealed class SignOutModel(SignInManager<HaleUser> signIn, UserManager<HaleUser> users, Hale.Features.Audit.AuditTrail audit) : PageModel
{
    public IActionResult OnGet() => Redirect("/account/sign-in");

    public async Task<IActionResult> OnPostAsync()
    {
        if (User.Identity?.IsAuthenticated == true && await users.GetUserAsync(User) is { } user)
        {
            // A new security stamp invalidates every cookie issued before, including a copied one.
            await users.UpdateSecurityStampAsync(user);
            await audit.RecordAsync("session.sign-out", "User", user.Id.ToString(), null);
        }
        await signIn.SignOutAsync();
        // Nothing of the session may stay in the browser after sign-out (ONC (d)(7)).
        Response.Headers["Clear-Site-Data"] = "\"cache\", \"cookies\", \"storage\"";
        return Redirect("/account/sign-in");
    }
}
