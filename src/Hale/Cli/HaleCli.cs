using System.CommandLine;
using Hale.Data;
using Hale.Features.Account;
using Hale.Features.Audit;
using Hale.Features.Demo;
using Hale.Features.Patients;
using Hale.Security;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;

namespace Hale.Cli;

/// <summary>
/// Operator commands: <c>users add|invite</c>, <c>keys rotate</c>, <c>audit verify</c>, <c>db migrate</c>.
/// ASP.NET Core configuration switches (<c>--Section:Key=value</c>) still apply to every command.
/// </summary>
public static class HaleCli
{
    private static readonly string[] Commands = ["users", "keys", "audit", "db"];

    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    /// <summary>Separates configuration switches (<c>--Database:Provider=Postgres</c>, <c>--urls x</c>) from the command's own arguments.</summary>
    public static (string[] HostArgs, string[] CommandArgs) Split(string[] args)
    {
        var host = new List<string>();
        var command = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var isConfig = arg.StartsWith("--", StringComparison.Ordinal) && (arg.Contains(':', StringComparison.Ordinal) || arg is "--urls" or "--environment" || arg.StartsWith("--urls=", StringComparison.Ordinal) || arg.StartsWith("--environment=", StringComparison.Ordinal));
            if (isConfig)
            {
                host.Add(arg);
                if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    host.Add(args[++i]);
                }
            }
            else
            {
                command.Add(arg);
            }
        }
        return ([.. host], [.. command]);
    }

    /// <param name="input">Where a piped password is read from; defaults to standard input when it is redirected.</param>
    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextReader? input = null)
    {
        input ??= Console.IsInputRedirected ? Console.In : null;
        var root = new RootCommand("Hale: a self-hosted patient portal. With no command, Hale serves.");
        root.Subcommands.Add(UsersCommand(services, input));
        root.Subcommands.Add(KeysCommand(services));
        root.Subcommands.Add(AuditCommand(services));
        root.Subcommands.Add(DbCommand(services));
        return await root.Parse(args).InvokeAsync();
    }

    private static Command UsersCommand(IServiceProvider services, TextReader? input)
    {
        var role = new Option<string>("--role") { Description = "clinician, nurse, frontdesk or admin", Required = true };
        role.AcceptOnlyFromAmong([.. Roles.Staff]);
        var email = new Option<string>("--email") { Description = "E-mail address (the sign-in name)", Required = true };
        var name = new Option<string>("--name") { Description = "Full name as patients and colleagues see it", Required = true };
        var activation = new Option<bool>("--activation") { Description = "Create an activation link even when a password is piped in" };
        var addPractice = NewPracticeOption();

        var add = new Command("add", "Add a staff account. Pipe a password on standard input, or get a one-time activation link.") { role, email, name, activation, addPractice };
        add.SetAction(async (parse, ct) =>
        {
            await PrepareAsync(services, ct);
            await using var scope = services.CreateAsyncScope();
            var practice = await PracticeAsync(scope.ServiceProvider, parse.GetValue(addPractice), ct);
            string? password = null;
            if (input is not null && !parse.GetValue(activation))
            {
                password = (await input.ReadLineAsync(ct))?.TrimEnd('\r', '\n');
                if (string.IsNullOrEmpty(password))
                {
                    password = null;
                }
            }
            var created = await scope.ServiceProvider.GetRequiredService<Accounts>()
                .AddStaffAsync(practice.Id, parse.GetValue(role)!, parse.GetValue(email)!, parse.GetValue(name)!, password, ct);
            return Report(created);
        });

        var patientEmail = new Option<string>("--email") { Description = "The patient's e-mail address", Required = true };
        var patientName = new Option<string>("--name") { Description = "The patient's full name: first and last", Required = true };
        var birthDate = new Option<DateOnly?>("--birth-date") { Description = "Date of birth, yyyy-mm-dd" };
        var invitePractice = NewPracticeOption();
        var clinician = new Option<string[]>("--clinician") { Description = "E-mail of a clinician or nurse for the care team (repeatable)", AllowMultipleArgumentsPerToken = true };
        var invite = new Command("invite", "Invite a patient: creates the account and prints a one-time activation link.") { patientEmail, patientName, birthDate, clinician, invitePractice };
        invite.SetAction(async (parse, ct) =>
        {
            await PrepareAsync(services, ct);
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
            var parts = parse.GetValue(patientName)!.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            var emails = (parse.GetValue(clinician) ?? []).Select(e => e.Trim().ToUpperInvariant()).ToList();
            var staff = await db.Users.Where(u => u.NormalizedEmail != null && emails.Contains(u.NormalizedEmail)).Select(u => new { u.Id, u.PracticeId }).ToListAsync(ct);
            if (staff.Count != emails.Count)
            {
                AnsiConsole.MarkupLine("[red]Not every --clinician e-mail belongs to a staff account.[/]");
                return 2;
            }
            var team = staff.Select(u => u.Id).ToList();
            // Without --practice, a patient joins the practice of the care team they were given.
            var practice = await PracticeAsync(scope.ServiceProvider, parse.GetValue(invitePractice) ?? staff.FirstOrDefault()?.PracticeId, ct);
            var created = await scope.ServiceProvider.GetRequiredService<Accounts>().InvitePatientAsync(practice.Id, parse.GetValue(patientEmail)!,
                new Accounts.PatientDetails(parts.ElementAtOrDefault(0) ?? "", parts.ElementAtOrDefault(1) ?? "", parse.GetValue(birthDate), team), ct);
            return Report(created);
        });
        return new Command("users", "Manage accounts") { add, invite };
    }

    private static int Report(Accounts.Created created)
    {
        if (!created.Succeeded)
        {
            foreach (var (field, error) in created.Errors)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]{(field.Length > 0 ? field + ": " : "")}{error}[/]");
            }
            return 2;
        }
        AnsiConsole.MarkupLineInterpolated($"[green]Created[/] {Roles.Label(created.User.Role)} account {created.User.Id}.");
        if (created.ActivationLink is { } link)
        {
            AnsiConsole.MarkupLine("One-time activation link (valid for 72 hours; give it to the person until e-mail delivery is set up):");
            Console.WriteLine(link);
        }
        return 0;
    }

    private static Command KeysCommand(IServiceProvider services)
    {
        var rotate = new Command("rotate", "New master key file and data key; every data key is re-wrapped, old records stay readable.");
        rotate.SetAction(async (parse, ct) =>
        {
            await PrepareAsync(services, ct);
            var ring = services.GetRequiredService<MasterKeyRing>();
            var options = services.GetRequiredService<EncryptionOptions>();
            if (string.IsNullOrWhiteSpace(options.MasterKey))
            {
                ring.CreateKeyFile(services.GetRequiredService<TimeProvider>());
            }
            else
            {
                AnsiConsole.MarkupLine("[yellow]The master key comes from configuration; data keys are re-wrapped under it. To change it, set the new key and keep the old one in a key file until this command has run.[/]");
            }
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
            var (dataKey, rewrapped) = await services.GetRequiredService<FieldEncryptor>().RotateAsync(db, ct);
            await scope.ServiceProvider.GetRequiredService<AuditTrail>().RecordAsync("keys.rotate", "DataKey", dataKey, null, cancellationToken: ct);
            AnsiConsole.MarkupLineInterpolated($"[green]Rotated.[/] Master key {ring.ActiveKeyId}; new data key {dataKey}; {rewrapped} data keys re-wrapped.");
            AnsiConsole.MarkupLineInterpolated($"Older master key files in {ring.KeyDirectory} are no longer needed once backups made before today have expired.");
            return 0;
        });
        return new Command("keys", "Manage encryption keys") { rotate };
    }

    private static Command AuditCommand(IServiceProvider services)
    {
        var verify = new Command("verify", "Recompute the audit hash chain; names the first broken row and exits 1 if any.");
        verify.SetAction(async (parse, ct) =>
        {
            await PrepareAsync(services, ct);
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
            var broken = await AuditChain.VerifyAsync(db, ct);
            if (broken is not null)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]Audit chain broken at row {broken.Sequence}: {broken.Reason}.[/] {broken.VerifiedBefore} rows before it verified.");
                return 1;
            }
            var head = await db.AuditEvents.AsNoTracking().OrderByDescending(a => a.Sequence).Select(a => new { a.Sequence, a.Hash }).FirstOrDefaultAsync(ct);
            AnsiConsole.MarkupLineInterpolated($"[green]Audit chain intact:[/] {await AuditChain.CountAsync(db, ct)} events verified.");
            // The chain cannot show that its newest rows were cut off; keeping this line elsewhere can.
            AnsiConsole.MarkupLineInterpolated($"Head: row {head?.Sequence ?? 0}, hash {head?.Hash ?? "-"} (record it outside this server to detect truncation later).");
            return 0;
        });
        return new Command("audit", "Audit trail") { verify };
    }

    private static Command DbCommand(IServiceProvider services)
    {
        var migrate = new Command("migrate", "Apply database migrations for the configured provider.");
        migrate.SetAction(async (parse, ct) =>
        {
            var pending = await DataServices.PendingMigrationsAsync(services, ct);
            await DataServices.MigrateAsync(services, ct);
            AnsiConsole.MarkupLineInterpolated($"[green]Database is up to date[/] ({pending.Count} migrations applied, provider {services.GetRequiredService<DatabaseOptions>().Provider}).");
            return 0;
        });
        return new Command("db", "Database") { migrate };
    }

    /// <summary>The embedded SQLite database migrates itself; PostgreSQL must have been migrated with <c>db migrate</c>.</summary>
    private static async Task PrepareAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var database = services.GetRequiredService<DatabaseOptions>();
        if (database.MigrateOnStart ?? database.Provider == DatabaseProvider.Sqlite)
        {
            await DataServices.MigrateAsync(services, cancellationToken);
        }
        await services.GetRequiredService<FieldEncryptor>().ActiveKeyIdAsync(cancellationToken);
    }

    private static Option<Guid?> NewPracticeOption() => new("--practice") { Description = "Practice id, when the database holds more than one practice" };

    /// <summary>The practice named, or the first one; a fresh database gets one named by Hale:PracticeName.</summary>
    private static async Task<Practice> PracticeAsync(IServiceProvider services, Guid? id, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<HaleDbContext>();
        var practice = id is { } wanted
            ? await db.Practices.SingleOrDefaultAsync(p => p.Id == wanted, cancellationToken) ?? throw new InvalidOperationException($"There is no practice {wanted}.")
            : await db.Practices.OrderBy(p => p.Id).FirstOrDefaultAsync(cancellationToken);
        if (practice is null)
        {
            practice = new Practice { Id = Guid.CreateVersion7(), Name = services.GetRequiredService<IConfiguration>()["Hale:PracticeName"] ?? "Hale Practice" };
            db.Practices.Add(practice);
            await db.SaveChangesAsync(cancellationToken);
        }
        return practice;
    }

    /// <summary>Printed to the console (not the log): demo accounts are fictional and exist to be tried.</summary>
    public static void PrintDemoSignIns()
    {
        var table = new Table().Title($"Demo sign-ins (password for all: {DemoSeeder.Password})");
        table.AddColumn("Role");
        table.AddColumn("E-mail");
        table.AddColumn("Name");
        foreach (var s in DemoSeeder.StaffSignIns.Concat(DemoSeeder.PatientSignIns().Take(3)))
        {
            table.AddRow(Markup.Escape(Roles.Label(s.Role)), Markup.Escape(s.Email), Markup.Escape(s.Name));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("All twelve demo patients are listed in README.md.");
    }
}
