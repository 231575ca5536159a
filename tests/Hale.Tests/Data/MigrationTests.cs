using Hale.Data;
using Microsoft.EntityFrameworkCore;

namespace Hale.Tests.Data;

public sealed class MigrationTests
{
    [Fact]
    public void SqliteModel_HasNoChangesWithoutAMigration()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "Add a SQLite migration: dotnet ef migrations add <Name> --project src/Hale --context SqliteHaleDbContext --output-dir Data/Migrations/Sqlite");
    }

    [Fact]
    public void PostgresModel_HasNoChangesWithoutAMigration()
    {
        using var db = new PostgresDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "Add a PostgreSQL migration: dotnet ef migrations add <Name> --project src/Hale --context PostgresHaleDbContext --output-dir Data/Migrations/Postgres");
    }

    [Fact]
    public void BothProviders_HaveTheSameMigrations()
    {
        static IEnumerable<string> Names(DbContext db) => db.Database.GetMigrations().Select(m => m[(m.IndexOf('_', StringComparison.Ordinal) + 1)..]);
        using var sqlite = new SqliteDesignTimeFactory().CreateDbContext([]);
        using var postgres = new PostgresDesignTimeFactory().CreateDbContext([]);

        Assert.Equal(Names(sqlite), Names(postgres));
    }
}
