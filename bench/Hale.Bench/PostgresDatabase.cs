using Npgsql;

namespace Hale.Bench;

/// <summary>A fresh database on the given PostgreSQL server for one run, dropped afterwards unless kept.</summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly string _serverConnection;
    private readonly string _name;
    private readonly bool _keep;

    private PostgresDatabase(string serverConnection, string name, bool keep)
    {
        _serverConnection = serverConnection;
        _name = name;
        _keep = keep;
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnection) { Database = name }.ToString();
    }

    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync(string serverConnection, bool keep)
    {
        var database = new PostgresDatabase(serverConnection, "hale_bench_" + Guid.NewGuid().ToString("N")[..12], keep);
        await database.ExecuteAsync($"CREATE DATABASE \"{database._name}\"");
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (!_keep)
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)");
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_serverConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
