using System.Text.RegularExpressions;

namespace Hale.BrowserTests;

/// <summary>
/// Checks that need no third-party engine: every control a person can reach has an accessible name
/// (as Playwright computes it, the same way a screen reader would), every form field has exactly one
/// &lt;label for&gt;, ids are unique, and aria-describedby points at elements that exist.
/// </summary>
public static class AccessibilityChecks
{
    private const string Interactive =
        "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])";

    public static async Task ExpectEveryControlNamedAsync(IPage page)
    {
        var controls = page.Locator(Interactive);
        var count = await controls.CountAsync();
        Assert.True(count > 0, "The page has no interactive elements at all.");
        for (var i = 0; i < count; i++)
        {
            await Expect(controls.Nth(i)).ToHaveAccessibleNameAsync(new Regex(@"\S"));
        }

        var problems = await page.EvaluateAsync<string[]>("""
            () => {
                const problems = [];
                for (const field of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
                    const labels = field.id ? document.querySelectorAll('label[for="' + CSS.escape(field.id) + '"]').length : 0;
                    if (labels !== 1) {
                        problems.push(labels + ' <label for> for ' + field.outerHTML);
                    }
                }
                const ids = new Map();
                for (const element of document.querySelectorAll('[id]')) {
                    ids.set(element.id, (ids.get(element.id) || 0) + 1);
                }
                for (const [id, n] of ids) {
                    if (n > 1) {
                        problems.push('id "' + id + '" is used ' + n + ' times');
                    }
                }
                for (const element of document.querySelectorAll('[aria-describedby]')) {
                    for (const id of element.getAttribute('aria-describedby').split(/\s+/).filter(Boolean)) {
                        if (!document.getElementById(id)) {
                            problems.push('aria-describedby="' + id + '" points at nothing on ' + element.outerHTML);
                        }
                    }
                }
                return problems;
            }
            """);
        Assert.True(problems.Length == 0, $"Accessibility problems on {page.Url}:\n" + string.Join('\n', problems));
    }
}
