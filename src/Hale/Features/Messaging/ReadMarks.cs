using Hale.Data;
using Microsoft.EntityFrameworkCore;

namespace Hale.Features.Messaging;

public static class ReadMarks
{
    /// <summary>
    /// Records that a user has read a thread up to <paramref name="readUpTo"/>, never moving the mark back.
    /// One upsert statement (SQLite and PostgreSQL both speak ON CONFLICT), so a first read and a first reply
    /// racing each other cannot collide on the key.
    /// </summary>
    public static Task MarkAsync(HaleDbContext db, Guid userId, Guid threadId, DateTime readUpTo, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "ThreadReadStates" ("UserId", "ThreadId", "LastReadAt") VALUES ({userId}, {threadId}, {readUpTo})
            ON CONFLICT ("UserId", "ThreadId") DO UPDATE SET "LastReadAt" =
                CASE WHEN excluded."LastReadAt" > "ThreadReadStates"."LastReadAt" THEN excluded."LastReadAt" ELSE "ThreadReadStates"."LastReadAt" END
            """, cancellationToken);
}
