using Hale.Features.Account;
using Hale.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hale.Features.Home;

public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => CurrentUser.From(User) switch
    {
        { Role: Roles.Admin } => Redirect("/admin/users"),
        { } me when me.IsPatient || me.IsCareTeamRole => Redirect("/messages"),
        _ => Page(),
    };
}
