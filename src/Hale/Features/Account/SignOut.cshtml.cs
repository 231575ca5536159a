using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hale.Features.Account;

[AllowAnonymous]
public sealed class SignOutModel(SignInManager<HaleUser> signIn) : PageModel
{
    public IActionResult OnGet() => Redirect("/account/sign-in");

    public async Task<IActionResult> OnPostAsync()
    {
        await signIn.SignOutAsync();
        // Nothing of the session may stay in the browser after sign-out (ONC (d)(7)).
        Response.Headers["Clear-Site-Data"] = "\"cache\", \"cookies\", \"storage\"";
        return Redirect("/account/sign-in");
    }
}
