using Hale.Cli;
using Hale.Data;
using Hale.Features.Account;
using Hale.Features.Audit;
using Hale.Features.Demo;
using Hale.Features.Messaging;
using Hale.Security;
using Microsoft.AspNetCore.Authorization;

namespace Hale;

/// <summary>The table of contents: what Hale is made of, and the order requests pass through it.</summary>
public static class HaleApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (HaleCli.IsCommand(args))
        {
            var (hostArgs, commandArgs) = HaleCli.Split(args);
            await using var cliApp = Build(hostArgs, quiet: true);
            return await HaleCli.RunAsync(cliApp.Services, commandArgs);
        }
        await using var app = Build(args);
        await app.RunAsync();
        return 0;
    }

    public static WebApplication Build(string[] args, bool quiet = false, Action<WebApplicationBuilder>? configure = null)
    {
        // Settings and static files ship beside the binary; ./data is relative to where Hale was started.
        var contentRootGiven = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Razor Pages are found through the application name; callers other than Program (tests, bench) need it set.
            ApplicationName = typeof(HaleApp).Assembly.GetName().Name,
            ContentRootPath = contentRootGiven ? null : AppContext.BaseDirectory,
        });
        if (quiet)
        {
            // Commands print their own results; the log shows only what went wrong.
            builder.Configuration.AddInMemoryCollection([new("Logging:LogLevel:Default", "Warning"), new("Logging:LogLevel:Hale", "Warning")]);
        }
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        builder.Services.AddHaleCore(builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseHale();
        return app;
    }

    public static IServiceCollection AddHaleCore(this IServiceCollection services, IConfiguration configuration)
    {
        var hale = configuration.GetSection("Hale").Get<HaleOptions>() ?? new HaleOptions();
        services.AddSingleton(hale);
        services.AddSingleton(configuration.GetSection("Encryption").Get<EncryptionOptions>() ?? new EncryptionOptions());
        services.AddSingleton(configuration.GetSection("Demo").Get<DemoOptions>() ?? new DemoOptions());
        services.AddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();

        services.AddHaleData(configuration);
        // First hosted service: migrations must run before anything else (Data Protection's key ring) reads the database.
        services.AddHostedService<StartupTasks>();
        services.AddSingleton<MasterKeyRing>();
        services.AddSingleton<FieldEncryptor>();
        services.AddScoped<AuditTrail>();
        services.AddHaleDataProtection();
        services.AddHaleIdentity();
        services.AddScoped<Accounts>();
        services.AddScoped<MessageSender>();
        services.AddScoped<DraftStore>();

        services.AddRazorPages(o => o.RootDirectory = "/Features");
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "hale-af";
            o.Cookie.HttpOnly = true;
            // Lax, not Strict: a Strict token cookie is not sent when a patient follows a link into Hale,
            // so a fresh one would replace it and break the forms open in their other tabs.
            o.Cookie.SameSite = SameSiteMode.Lax;
        });
        // Everything requires a signed-in user unless it says [AllowAnonymous]; a test lists the exceptions.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddHealthChecks();
        return services;
    }

    public static WebApplication UseHale(this WebApplication app)
    {
        app.UseHaleSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error");
        }
        else
        {
            app.UseDeveloperExceptionPage();
        }
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapHealthChecks("/health").AllowAnonymous();
        app.MapRazorPages();
        return app;
    }
}

/// <summary>Runs before the server accepts requests: migrations (embedded SQLite, or when asked) and the demo seed.</summary>
internal sealed class StartupTasks(IServiceProvider services, DatabaseOptions database, DemoOptions demo, ILogger<StartupTasks> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (database.MigrateOnStart ?? database.Provider == DatabaseProvider.Sqlite)
        {
            var pending = await DataServices.PendingMigrationsAsync(services, cancellationToken);
            await DataServices.MigrateAsync(services, cancellationToken);
            if (pending.Count > 0)
            {
                Log.Migrated(logger, pending.Count, database.Provider.ToString());
            }
        }
        else if ((await DataServices.PendingMigrationsAsync(services, cancellationToken)).Count > 0)
        {
            throw new InvalidOperationException("The database needs migrating: run `hale db migrate` (dotnet run --project src/Hale -- db migrate).");
        }
        // The first data key is created here, outside any request's transaction.
        await services.GetRequiredService<FieldEncryptor>().ActiveKeyIdAsync(cancellationToken);
        if (demo.Enabled)
        {
            await DemoSeeder.SeedAsync(services, cancellationToken);
            HaleCli.PrintDemoSignIns();
        }
        else if (await DemoSeeder.IsPresentAsync(services, cancellationToken))
        {
            // Demo accounts share a published password: never leave them in a real practice unnoticed.
            Log.DemoAccountsPresent(logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
