using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hale.Data;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Audit;

/// <summary>
/// The hash chain over <see cref="AuditEvent"/> rows. Appends are serialized: on PostgreSQL by a
/// transaction-scoped advisory lock, on SQLite by the write lock that BEGIN IMMEDIATE takes
/// (Microsoft.Data.Sqlite starts transactions immediate), so two writers never link to the same head.
/// </summary>
public static class AuditChain
{
    private const long PostgresLockKey = 0x4841_4C45_4155_4454; // "HALEAUDT"

    public static async Task LockAsync(HaleDbContext db, CancellationToken cancellationToken)
    {
        if (db.Provider == DatabaseProvider.Postgres)
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({PostgresLockKey})", cancellationToken);
        }
    }

    public static async Task LinkAsync(HaleDbContext db, IReadOnlyList<AuditEvent> pending, CancellationToken cancellationToken)
    {
        var head = await db.AuditEvents.AsNoTracking()
            .OrderByDescending(a => a.Sequence)
            .Select(a => new { a.Sequence, a.Hash })
            .FirstOrDefaultAsync(cancellationToken);
        var sequence = head?.Sequence ?? 0;
        var previous = head?.Hash ?? "";
        foreach (var audit in pending)
        {
            // PostgreSQL keeps microseconds, .NET ticks are 100 ns: hash what the database will give back.
            audit.At = new DateTime(audit.At.Ticks - (audit.At.Ticks % 10), DateTimeKind.Utc);
            audit.Sequence = ++sequence;
            audit.PreviousHash = previous;
            audit.Hash = Compute(audit);
            previous = audit.Hash;
        }
    }

    public static string Compute(AuditEvent a)
    {
        var canonical = string.Join('\u001f',
            a.Sequence.ToString(CultureInfo.InvariantCulture),
            a.Id.ToString("N"),
            a.At.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            a.UserId?.ToString("N") ?? "",
            a.Role,
            a.PatientId?.ToString("N") ?? "",
            a.Action,
            a.ResourceType,
            a.ResourceId ?? "",
            a.Outcome,
            a.ClientAddress ?? "",
            a.CorrelationId ?? "",
            a.PreviousHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>Recomputes the chain; returns the first row that does not fit (altered, deleted, inserted or re-ordered), or null.</summary>
    public static async Task<AuditBreak?> VerifyAsync(HaleDbContext db, CancellationToken cancellationToken)
    {
        var expectedSequence = 1L;
        var previous = "";
        var count = 0L;
        await foreach (var row in db.AuditEvents.AsNoTracking().OrderBy(a => a.Sequence).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (row.Sequence != expectedSequence)
            {
                return new AuditBreak(expectedSequence, $"row {expectedSequence} is missing (the next row is {row.Sequence})", count);
            }
            if (!string.Equals(row.PreviousHash, previous, StringComparison.Ordinal))
            {
                return new AuditBreak(row.Sequence, "does not link to the row before it", count);
            }
            if (!string.Equals(Compute(row), row.Hash, StringComparison.Ordinal))
            {
                return new AuditBreak(row.Sequence, "its contents do not match its hash (altered)", count);
            }
            previous = row.Hash;
            expectedSequence++;
            count++;
        }
        return null;
    }

    public static async Task<long> CountAsync(HaleDbContext db, CancellationToken cancellationToken) =>
        await db.AuditEvents.LongCountAsync(cancellationToken);
}

public sealed record AuditBreak(long Sequence, string Reason, long VerifiedBefore);
