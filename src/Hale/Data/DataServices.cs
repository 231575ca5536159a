using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hale.Data;

public sealed class HaleOptions
{
    /// <summary>Where the embedded database and the master key file live. Relative paths are from the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The address patients and staff use, for links in invitations (no trailing slash).</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    public string FullDataDirectory => Path.GetFullPath(DataDirectory);
}

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply migrations when the app starts. Defaults to true for SQLite, false for PostgreSQL (use <c>db migrate</c>).</summary>
    public bool? MigrateOnStart { get; set; }
}

public static class DataServices
{
    public static IServiceCollection AddHaleData(this IServiceCollection services, IConfiguration configuration)
    {
        var hale = configuration.GetSection("Hale").Get<HaleOptions>() ?? new HaleOptions();
        var database = configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        services.AddSingleton(database);

        if (database.Provider == DatabaseProvider.Postgres)
        {
            var connectionString = configuration.GetConnectionString("Hale")
                ?? throw new InvalidOperationException("Database:Provider is Postgres but ConnectionStrings:Hale is not set.");
            services.AddDbContext<HaleDbContext, PostgresHaleDbContext>(o => ConfigurePostgres(o, connectionString));
        }
        else
        {
            var connectionString = configuration.GetConnectionString("Hale") ?? DefaultSqliteConnectionString(hale);
            services.AddDbContext<HaleDbContext, SqliteHaleDbContext>(o => ConfigureSqlite(o, connectionString));
        }
        return services;
    }

    public static string DefaultSqliteConnectionString(HaleOptions hale)
    {
        Directory.CreateDirectory(hale.FullDataDirectory);
        return new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(hale.FullDataDirectory, "hale.db"),
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public static void ConfigureSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString, o => o.MigrationsHistoryTable("__migrations"))
            .AddInterceptors(SqliteDurability.Instance);

    public static void ConfigurePostgres(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, o => o.MigrationsHistoryTable("__migrations"));

    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
    }

    public static async Task<IReadOnlyList<string>> PendingMigrationsAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
        return [.. await db.Database.GetPendingMigrationsAsync(cancellationToken)];
    }
}

/// <summary>
/// "Nothing lost": WAL with synchronous=FULL makes every commit durable before it returns,
/// so a message the user was told was sent survives power loss.
/// </summary>
internal sealed class SqliteDurability : DbConnectionInterceptor
{
    public static readonly SqliteDurability Instance = new();

    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";

    /// <summary>The busy_timeout above.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromMilliseconds(30_000);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// Queues this process's writers to one SQLite file, so the write lock passes straight from one commit
/// to the next. A writer that finds the lock taken would otherwise wait in SQLite's busy handler, which
/// sleeps and retries (1, 2, 5, 10 ... up to 100 ms): under load the lock then sits idle between writers
/// and each waiting request blocks a thread. Transactions, statements and durability are unchanged.
/// Other processes (the CLI) are still kept out by SQLite's lock and busy_timeout, and a writer that
/// cannot enter within that timeout goes ahead and leaves the waiting to SQLite, as before.
/// </summary>
internal static class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    public static async Task<IDisposable?> EnterAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var gate = Gates.GetOrAdd(KeyOf(connection), _ => new SemaphoreSlim(1, 1));
        return await gate.WaitAsync(SqliteDurability.BusyTimeout, cancellationToken) ? new Entered(gate) : null;
    }

    private static string KeyOf(DbConnection connection)
    {
        var source = connection.DataSource;
        return string.IsNullOrEmpty(source) || source.StartsWith(':') || source.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            ? connection.ConnectionString
            : Path.GetFullPath(source);
    }

    private sealed class Entered(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteHaleDbContext>
{
    public SqliteHaleDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<SqliteHaleDbContext>();
        DataServices.ConfigureSqlite(builder, "Data Source=design-time.db");
        return new SqliteHaleDbContext(builder.Options);
    }
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresHaleDbContext>
{
    public PostgresHaleDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<PostgresHaleDbContext>();
        DataServices.ConfigurePostgres(builder, "Host=localhost;Database=hale_design");
        return new PostgresHaleDbContext(builder.Options);
    }
}
