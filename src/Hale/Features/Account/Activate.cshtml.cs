using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hale.Features.Account;

[AllowAnonymous]
public sealed class ActivateModel(Accounts accounts) : PageModel
{
    [FromRoute]
    public string Token { get; set; } = "";

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? ConfirmPassword { get; set; }

    public bool LinkValid { get; private set; }
    public bool Done { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        LinkValid = await accounts.FindInvitationAsync(Token, cancellationToken) is not null;
        if (!LinkValid)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        LinkValid = await accounts.FindInvitationAsync(Token, cancellationToken) is not null;
        if (!LinkValid)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        if (string.IsNullOrEmpty(Password))
        {
            ModelState.AddModelError(nameof(Password), "Choose a password.");
            return Page();
        }
        if (Password != ConfirmPassword)
        {
            ModelState.AddModelError(nameof(ConfirmPassword), "The two passwords are not the same. Type the same password twice.");
            return Page();
        }
        var errors = await accounts.ActivateAsync(Token, Password, cancellationToken);
        if (errors is null)
        {
            LinkValid = false;
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        if (errors.Count > 0)
        {
            ModelState.AddModelError(nameof(Password), string.Join(" ", errors));
            return Page();
        }
        Done = true;
        return Page();
    }
}
