using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
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
            services.AddDbContextPool<HaleDbContext, PostgresHaleDbContext>(o => ConfigurePostgres(o, connectionString));
        }
        else
        {
            var connectionString = configuration.GetConnectionString("Hale") ?? DefaultSqliteConnectionString(hale);
            services.AddDbContextPool<HaleDbContext, SqliteHaleDbContext>(o => ConfigureSqlite(o, connectionString));
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
            .AddInterceptors(SqliteDurability.Instance, SqliteWriteGate.Instance);

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

    /// <summary>The busy_timeout above; also the longest a transaction waits for its turn in <see cref="SqliteWriteGate"/>.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromMilliseconds(30_000);

    // These settings live as long as the native connection, which the pool keeps across opens:
    // run them once per native handle, not on every open (EF opens a connection per query).
    private static readonly ConditionalWeakTable<object, object> Prepared = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Prepare(connection, eventData);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Prepare(connection, eventData);
        return Task.CompletedTask;
    }

    private static void Prepare(DbConnection connection, ConnectionEndEventData eventData)
    {
        // A connection that has just been opened holds no transaction, so it can hold no write turn either
        // (a pooled DbContext closes its connection without raising ConnectionClosed).
        SqliteWriteGate.Release(eventData.ConnectionId);
        if (connection is SqliteConnection { Handle: { } handle } && Prepared.TryGetValue(handle, out _))
        {
            return;
        }
        // Synchronous and not cancellable: a half-applied set of PRAGMAs must never be marked as done.
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
        if (connection is SqliteConnection { Handle: { } opened })
        {
            Prepared.AddOrUpdate(opened, Instance);
        }
    }

    // A closed connection holds no transaction: make sure it holds no write turn either.
    public override void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) => SqliteWriteGate.Release(eventData.ConnectionId);

    public override Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        SqliteWriteGate.Release(eventData.ConnectionId);
        return Task.CompletedTask;
    }

    public override void ConnectionDisposed(DbConnection connection, ConnectionEndEventData eventData) => SqliteWriteGate.Release(eventData.ConnectionId);

    public override Task ConnectionDisposedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        SqliteWriteGate.Release(eventData.ConnectionId);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Queues this process's write transactions on one SQLite file, so the write lock passes straight from
/// one commit to the next. SQLite has a single write lock and Microsoft.Data.Sqlite begins transactions
/// IMMEDIATE; a writer that finds the lock taken waits in SQLite's busy handler, which sleeps and retries
/// (1, 2, 5, 10 ... up to 100 ms), so under load the lock sits idle between writers and every waiting
/// request blocks a thread. Here a transaction waits its turn (asynchronously) before BEGIN and hands it
/// on at commit, rollback, failure, or when its connection closes. Statements, transactions and
/// durability are unchanged: SQLite's lock still does the locking, also against other processes (the
/// CLI), and a writer that cannot get its turn within the busy timeout goes ahead and leaves the waiting
/// to SQLite, as before.
/// </summary>
internal sealed class SqliteWriteGate : DbTransactionInterceptor
{
    public static readonly SqliteWriteGate Instance = new();

    /// <summary>One turn per database (connection string).</summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Turns = new(StringComparer.Ordinal);

    /// <summary>The turn each EF connection holds, by EF's connection id.</summary>
    private static readonly ConcurrentDictionary<Guid, SemaphoreSlim> Holders = new();

    public override InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        if (Holders.ContainsKey(eventData.ConnectionId))
        {
            return result;
        }
        var turn = TurnFor(connection);
        return turn.Wait(SqliteDurability.BusyTimeout) ? Begin(connection, eventData, turn) : result;
    }

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        if (Holders.ContainsKey(eventData.ConnectionId))
        {
            return result;
        }
        var turn = TurnFor(connection);
        return await turn.WaitAsync(SqliteDurability.BusyTimeout, cancellationToken) ? Begin(connection, eventData, turn) : result;
    }

    /// <summary>
    /// BEGIN here, holding the turn: if it fails (the lock held by another process past the busy timeout)
    /// the turn is handed on at once, since EF reports no end for a transaction that never began.
    /// Not cancellable once the turn is held, for the same reason.
    /// </summary>
    private static InterceptionResult<DbTransaction> Begin(DbConnection connection, TransactionStartingEventData eventData, SemaphoreSlim turn)
    {
        try
        {
            var transaction = connection.BeginTransaction(eventData.IsolationLevel);
            Holders[eventData.ConnectionId] = turn;
            return InterceptionResult<DbTransaction>.SuppressWithResult(transaction);
        }
        catch
        {
            turn.Release();
            throw;
        }
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Release(eventData.ConnectionId);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.ConnectionId);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Release(eventData.ConnectionId);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.ConnectionId);
        return Task.CompletedTask;
    }

    public override void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Release(eventData.ConnectionId);

    public override Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.ConnectionId);
        return Task.CompletedTask;
    }

    /// <summary>Hands the turn on if this connection holds it; also called when the connection closes (a transaction disposed without commit or rollback).</summary>
    public static void Release(Guid connectionId)
    {
        if (Holders.TryRemove(connectionId, out var turn))
        {
            turn.Release();
        }
    }

    private static SemaphoreSlim TurnFor(DbConnection connection) => Turns.GetOrAdd(connection.ConnectionString, _ => new SemaphoreSlim(1, 1));
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
