using System.Collections.Concurrent;
using Hale.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Hale.Tests.Infrastructure;

/// <summary>
/// The real app in-process on one provider, with its own database (a temp SQLite file, or a fresh
/// PostgreSQL database on the server scripts/test started), a clock tests can move, and every log line captured.
/// </summary>
public sealed class HaleFactory : WebApplicationFactory<Program>
{
    public string Provider { get; }
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("hale-test-").FullName;
    public string? PostgresDatabase { get; }
    public string? ConnectionString { get; }
    public FakeTimeProvider Clock { get; } = new(TimeProvider.System.GetUtcNow()) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
    public CapturedLogs Logs { get; } = new();

    private HaleFactory(string provider, string? connectionString, string? database)
    {
        Provider = provider;
        ConnectionString = connectionString;
        PostgresDatabase = database;
    }

    public string SqliteFile => Path.Combine(DataDirectory, "hale.db");

    public static async Task<HaleFactory> CreateAsync(string provider)
    {
        HaleFactory factory;
        if (provider == Providers.Postgres)
        {
            PostgresServer.SkipIfMissing();
            var admin = PostgresServer.AdminConnectionString!;
            var name = "hale_t_" + Guid.NewGuid().ToString("N")[..12];
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await create.ExecuteNonQueryAsync();
            }
            var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
            factory = new HaleFactory(provider, builder.ConnectionString, name);
        }
        else
        {
            factory = new HaleFactory(provider, null, null);
        }
        // Start the host now: migrations run in StartupTasks.
        _ = factory.Server;
        return factory;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("Hale:DataDirectory", DataDirectory);
        builder.UseSetting("Hale:PublicBaseUrl", "http://localhost");
        builder.UseSetting("Demo:Enabled", "false");
        builder.UseSetting("Database:MigrateOnStart", "true");
        if (Provider == Providers.Postgres)
        {
            builder.UseSetting("Database:Provider", "Postgres");
            builder.UseSetting("ConnectionStrings:Hale", ConnectionString);
        }
        builder.ConfigureLogging(logging => logging.ClearProviders().AddProvider(Logs));
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    public HttpClient CreateBrowserClient() =>
        CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public async Task<T> WithDbAsync<T>(Func<HaleDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<HaleDbContext>());
    }

    public async Task WithDbAsync(Func<HaleDbContext, Task> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await action(scope.ServiceProvider.GetRequiredService<HaleDbContext>());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (PostgresDatabase is not null && PostgresServer.AdminConnectionString is { } admin)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {PostgresDatabase} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open: the OS temp cleaner gets it
        }
    }
}

public static class Providers
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static TheoryData<string> All => [Sqlite, Postgres];
}

/// <summary>The PostgreSQL server scripts/test starts; its admin connection string arrives in HALE_TEST_POSTGRES.</summary>
public static class PostgresServer
{
    public static string? AdminConnectionString => Environment.GetEnvironmentVariable("HALE_TEST_POSTGRES") is { Length: > 0 } value ? value : null;

    public static void SkipIfMissing()
    {
        if (AdminConnectionString is null)
        {
            Assert.Skip("PostgreSQL is not available: set HALE_TEST_POSTGRES (scripts/test starts a throw-away server and sets it).");
        }
    }
}

/// <summary>One app per provider for a test class; each test seeds its own practice, so tests never share data.</summary>
public sealed class AppFixture : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<HaleFactory>>> _apps = new();

    public Task<HaleFactory> ForAsync(string provider)
    {
        if (provider == Providers.Postgres)
        {
            PostgresServer.SkipIfMissing();
        }
        return _apps.GetOrAdd(provider, p => new Lazy<Task<HaleFactory>>(() => HaleFactory.CreateAsync(p))).Value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps.Values.Where(a => a.IsValueCreated))
        {
            await (await app.Value).DisposeAsync();
        }
    }
}

/// <summary>Every log line the app wrote, with its template values, so tests can prove no PHI reached a log.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{category} {formatter(state, exception)} {values} {exception}");
        }
    }
}
