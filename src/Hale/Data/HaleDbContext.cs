using Hale.Features.Account;
using Hale.Features.Audit;
using Hale.Features.Messaging;
using Hale.Features.Patients;
using Hale.Security;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Hale.Data;

/// <summary>
/// The one DbContext. Each provider has a subclass (<see cref="SqliteHaleDbContext"/>,
/// <see cref="PostgresHaleDbContext"/>) only so that each gets its own migration set.
/// </summary>
public abstract class HaleDbContext(DbContextOptions options)
    : IdentityDbContext<HaleUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Practice> Practices => Set<Practice>();
    public DbSet<Patient> Patients => Set<Patient>();
    public DbSet<CareTeamMember> CareTeamMembers => Set<CareTeamMember>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<MessageThread> Threads => Set<MessageThread>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<MessageAttachment> Attachments => Set<MessageAttachment>();
    public DbSet<ThreadReadState> ThreadReadStates => Set<ThreadReadState>();
    public DbSet<MessageDraft> Drafts => Set<MessageDraft>();
    public DbSet<DataKey> DataKeys => Set<DataKey>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public abstract DatabaseProvider Provider { get; }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(HaleDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every instant is UTC, on both providers (conventions: "Instants as UTC").
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        SaveChangesAsync(acceptAllChangesOnSuccess).GetAwaiter().GetResult();

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var pendingAudit = ChangeTracker.Entries<AuditEvent>()
            .Where(e => e.State == EntityState.Added)
            .Select(e => e.Entity)
            .ToList();
        if (pendingAudit.Count == 0)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }

        // Audit rows are hash-chained, so appending needs the chain head under a lock that
        // holds until commit: the audit rows and the change they describe commit together.
        var ownTransaction = Database.CurrentTransaction is null;
        var transaction = Database.CurrentTransaction ?? await Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await AuditChain.LockAsync(this, cancellationToken);
            await AuditChain.LinkAsync(this, pendingAudit, cancellationToken);
            var written = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            if (ownTransaction)
            {
                await transaction.CommitAsync(cancellationToken);
            }
            return written;
        }
        finally
        {
            if (ownTransaction)
            {
                await transaction.DisposeAsync();
            }
        }
    }
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public sealed class SqliteHaleDbContext(DbContextOptions<SqliteHaleDbContext> options) : HaleDbContext(options)
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class PostgresHaleDbContext(DbContextOptions<PostgresHaleDbContext> options) : HaleDbContext(options)
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
