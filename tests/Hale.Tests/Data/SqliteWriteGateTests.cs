using Hale.Cli;
using Hale.Data;
using Microsoft.EntityFrameworkCore;

namespace Hale.Tests.Data;

public sealed class SqliteWriteGateTests
{
    [Fact]
    public async Task BeginCancelledRightAfterItsTurnCame_DoesNotBlockLaterWriters()
    {
        var dir = Directory.CreateTempSubdirectory("hale-gate-");
        try
        {
            var connection = $"Data Source={Path.Combine(dir.FullName, "gate.db")};Pooling=true";
            SqliteHaleDbContext NewContext()
            {
                var options = new DbContextOptionsBuilder<SqliteHaleDbContext>();
                DataServices.ConfigureSqlite(options, connection);
                return new SqliteHaleDbContext(options.Options);
            }
            await using (var setup = NewContext())
            {
                await setup.Database.MigrateAsync();
            }

            await using var first = NewContext();
            await using var second = NewContext();
            await using var third = NewContext();
            var holding = await first.Database.BeginTransactionAsync();
            using var cancel = new CancellationTokenSource();
            var waiting = second.Database.BeginTransactionAsync(cancel.Token);
            await holding.CommitAsync();
            await cancel.CancelAsync();
            try
            {
                await using var _ = await waiting;
            }
            catch (OperationCanceledException)
            {
                // cancelled while still waiting for its turn: fine, as long as it did not keep the turn
            }

            // A leaked turn would make this wait for the 30 s busy timeout.
            await using var next = await third.Database.BeginTransactionAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await next.CommitAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task CliUsersAdd_OnAFreshDatabaseWithNoDataKeyYet_CreatesTheAccount()
    {
        var dir = Directory.CreateTempSubdirectory("hale-cli-");
        try
        {
            // The CLI never starts the host, so nothing has created a data key before the command's transaction.
            await using var app = HaleApp.Build(["--Hale:DataDirectory=" + dir.FullName, "--Demo:Enabled=false", "--environment=Production"], quiet: true);

            var exit = await HaleCli.RunAsync(app.Services, ["users", "add", "--role", "admin", "--email", "first.admin@test.example", "--name", "First Admin"], TextReader.Null)
                .WaitAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(0, exit);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }
}
