using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Hale.Data;
using Hale.Features.Audit;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;

namespace Hale.Bench;

/// <summary>
/// `scripts/bench messaging`: messages per second through the real HTTP endpoint against the raw
/// insert+commit ceiling of the same database, and the inbox page's latency with 100,000 messages.
/// </summary>
internal static class MessagingBench
{
    public static async Task RunAsync(BenchOptions o)
    {
        var clock = TimeProvider.System;
        var total = Stopwatch.StartNew();
        var dir = Directory.CreateTempSubdirectory("hale-bench-");
        await using var postgres = o.IsPostgres ? await PostgresDatabase.CreateAsync(o.Connection!, o.Keep) : null;
        try
        {
            List<string> args =
            [
                "--urls", "http://127.0.0.1:0",
                "--Hale:DataDirectory=" + dir.FullName,
                "--Demo:Enabled=false",
                "--environment=Production",
                "--Logging:LogLevel:Default=Warning",
                // The app's wwwroot is not beside the bench; pages render the same without it.
                "--Logging:LogLevel:Microsoft.AspNetCore.StaticFiles=Error",
            ];
            if (postgres is not null)
            {
                args.AddRange(["--Database:Provider=Postgres", "--ConnectionStrings:Hale=" + postgres.ConnectionString, "--Database:MigrateOnStart=true"]);
            }
            Result result;
            await using (var app = HaleApp.Build([.. args]))
            {
                await app.StartAsync();
                var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
                var database = await DescribeDatabaseAsync(app.Services);
                Console.WriteLine($"hale messaging benchmark: {database}, {Environment.ProcessorCount} cores, app at {address}");
                Console.WriteLine($"data folder: {dir.FullName}");

                Console.Write($"seeding {o.Patients + o.Clients:N0} patients, {o.Threads:N0} threads, {o.BulkMessages:N0} messages ... ");
                var seeded = await BenchData.SeedAsync(app.Services, o, clock);
                Console.WriteLine($"{seeded.Elapsed.TotalSeconds:F1} s");
                await CheckpointAsync(app.Services);

                // The raw ceiling is taken right before and right after the send phase: this disk's fsync
                // time drifts, so the ratio is against the mean of the two.
                Console.Write($"raw ceiling (before): {o.Messages:N0} single-row insert+commit with {o.Clients} writers ... ");
                var rawBefore = await RawCeilingAsync(app.Services, o);
                Console.WriteLine($"{rawBefore.Rate:F0} commits/s, {rawBefore.CpuMsPer:F2} ms CPU per commit{Written(rawBefore.KiBPerCommit, "commit")}");
                await CheckpointAsync(app.Services);

                Console.Write($"sending {o.Messages:N0} replies through HTTP with {o.Clients} clients ... ");
                var send = await SendAsync(address, seeded, o);
                Console.WriteLine($"{send.Rate:F0} msg/s, {send.CpuMsPer:F2} ms CPU per message{Written(send.KiBPerMessage, "message")}");
                await CheckpointAsync(app.Services);

                Console.Write($"raw ceiling (after): {o.Messages:N0} single-row insert+commit with {o.Clients} writers ... ");
                var rawAfter = await RawCeilingAsync(app.Services, o);
                Console.WriteLine($"{rawAfter.Rate:F0} commits/s, {rawAfter.CpuMsPer:F2} ms CPU per commit{Written(rawAfter.KiBPerCommit, "commit")}");
                await CheckpointAsync(app.Services);
                var raw = new RawResult(rawBefore.Rows + rawAfter.Rows, rawBefore.Elapsed + rawAfter.Elapsed, rawBefore.Cpu + rawAfter.Cpu,
                    (rawBefore.KiBPerCommit + rawAfter.KiBPerCommit) / 2, rawBefore.Rate, rawAfter.Rate);

                var inboxScope = await InboxScopeAsync(app.Services, seeded.ClinicianId);
                Console.Write($"inbox: {o.InboxRequests} GETs of /messages as the clinician ({inboxScope.Threads:N0} threads of theirs, {inboxScope.AllMessages:N0} messages in the database) ... ");
                var inbox = await InboxAsync(address, seeded, o);
                Console.WriteLine($"p50 {inbox.P50:F1} ms, p95 {inbox.P95:F1} ms, {inbox.CpuMsPer:F2} ms CPU per page");

                Console.Write("verifying the audit chain ... ");
                var chain = await VerifyChainAsync(app.Services);
                Console.WriteLine(chain);
                await app.StopAsync();
                result = new Result(database, send, raw, inbox, inboxScope, chain);
            }
            PrintSummary(o, result, total.Elapsed);
        }
        finally
        {
            if (o.Keep)
            {
                Console.WriteLine($"kept: {dir.FullName}");
            }
            else
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                dir.Delete(recursive: true);
            }
        }
    }

    private sealed record Result(string Database, SendResult Send, RawResult Raw, InboxResult Inbox, InboxScope Scope, string Chain);

    internal sealed record SendResult(int Sent, int Failed, TimeSpan Elapsed, double P50, double P95, double Max, TimeSpan Cpu, double? KiBPerMessage)
    {
        public double Rate => Sent / Elapsed.TotalSeconds;
        public double CpuMsPer => Cpu.TotalMilliseconds / Math.Max(1, Sent);
    }

    internal sealed record RawResult(int Rows, TimeSpan Elapsed, TimeSpan Cpu, double? KiBPerCommit, double BeforeRate = 0, double AfterRate = 0)
    {
        /// <summary>For a combined result, the mean of the two rates (each phase weighs the same, whatever its length).</summary>
        public double Rate => BeforeRate > 0 ? (BeforeRate + AfterRate) / 2 : Rows / Elapsed.TotalSeconds;
        public double CpuMsPer => Cpu.TotalMilliseconds / Math.Max(1, Rows);
    }

    internal sealed record InboxResult(int Requests, double P50, double P95, double Max, double Mean, TimeSpan Cpu)
    {
        public double CpuMsPer => Cpu.TotalMilliseconds / Math.Max(1, Requests);
    }

    /// <summary>
    /// Bytes this process has caused to be written to storage (Linux /proc/self/io), or null where that is
    /// not available; also null for PostgreSQL, whose server process does the writing.
    /// </summary>
    private static long? WrittenBytes(BenchOptions o)
    {
        if (o.IsPostgres)
        {
            return null;
        }
        try
        {
            foreach (var line in File.ReadLines("/proc/self/io"))
            {
                if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("write_bytes:".Length).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static double? KiBPer(long? before, long? after, int count) =>
        before is { } b && after is { } a && count > 0 ? (a - b) / 1024.0 / count : null;

    private static string Written(double? kib, string per) => kib is { } k ? $", {k:F1} KiB written per {per}" : "";

    /// <summary>Processor time of this process (app and clients together), to tell CPU-bound from waiting.</summary>
    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    internal sealed record InboxScope(int Threads, int Messages, int AllMessages);

    /// <summary>Each client signs in as its patient and replies in its own thread until the shared count is reached.</summary>
    private static async Task<SendResult> SendAsync(Uri address, SeededData seeded, BenchOptions o)
    {
        var clients = await Task.WhenAll(seeded.Senders.Select(async s =>
        {
            var client = new BenchClient(address);
            await client.SignInAsync(s.Email, BenchData.Password);
            var token = await client.FormTokenAsync($"/messages/{s.ThreadId}");
            return (Client: client, s.ThreadId, Token: token);
        }));
        try
        {
            // Warm-up, not counted: until the JIT has finished tiering up the request path and the
            // thread pool has grown to the blocking load (SQLite calls block their thread).
            var warm = 0;
            var warmup = await WarmUpAsync(clients.Select<(BenchClient Client, Guid ThreadId, string Token), Func<Task>>(c => async () =>
            {
                if (!await c.Client.ReplyAsync(c.ThreadId, Body(Interlocked.Increment(ref warm)), c.Token))
                {
                    throw new InvalidOperationException("A warm-up reply was not stored.");
                }
            }).ToArray());
            Console.Write($"(warm-up {warm} messages, {warmup.TotalSeconds:F0} s) ");

            var remaining = o.Messages;
            var failed = 0;
            var latencies = new ConcurrentBag<double>();
            var deadline = Stopwatch.StartNew();
            var limit = TimeSpan.FromSeconds(o.MaxSeconds);
            var cpu = CpuTime();
            var written = WrittenBytes(o);
            var elapsed = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(c => Task.Run(async () =>
            {
                while (Interlocked.Decrement(ref remaining) >= 0 && deadline.Elapsed < limit)
                {
                    var start = Stopwatch.GetTimestamp();
                    var ok = await c.Client.ReplyAsync(c.ThreadId, Body(remaining), c.Token);
                    var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    if (ok)
                    {
                        latencies.Add(ms);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            })));
            elapsed.Stop();
            cpu = CpuTime() - cpu;
            var sorted = latencies.Order().ToArray();
            return new SendResult(sorted.Length, failed, elapsed.Elapsed, Percentile(sorted, 50), Percentile(sorted, 95), sorted.LastOrDefault(), cpu,
                KiBPer(written, WrittenBytes(o), sorted.Length));
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Client.Dispose();
            }
        }
    }

    /// <summary>
    /// Runs each step in a loop (one loop per client) until the JIT goes quiet: fewer than
    /// <see cref="QuietMethodsPerSecond"/> methods compiled in the last second, after at least
    /// <see cref="MinWarmup"/> and at most <see cref="MaxWarmup"/>.
    /// </summary>
    private static async Task<TimeSpan> WarmUpAsync(IReadOnlyList<Func<Task>> steps)
    {
        var elapsed = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var loops = steps.Select(step => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await step();
            }
        })).ToArray();
        var last = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (elapsed.Elapsed < MaxWarmup && !loops.Any(l => l.IsCompleted))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            var quiet = now - last < QuietMethodsPerSecond;
            last = now;
            if (quiet && elapsed.Elapsed >= MinWarmup)
            {
                break;
            }
        }
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        return elapsed.Elapsed;
    }

    private const int QuietMethodsPerSecond = 10;
    private static readonly TimeSpan MinWarmup = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxWarmup = TimeSpan.FromSeconds(45);

    private static string Body(int n) =>
        $"Benchmark reply {n.ToString(CultureInfo.InvariantCulture)}: the tablets are helping, the dizziness is better in the mornings, and I will book the follow-up for next week as you suggested.";

    /// <summary>
    /// The ceiling for the same durability: single-row INSERT + COMMIT into a scratch table in the same
    /// database, on connections opened through the app's DbContext (so the same PRAGMAs apply), with the
    /// same number of concurrent writers and the same count as the send phase.
    /// </summary>
    private static async Task<RawResult> RawCeilingAsync(IServiceProvider services, BenchOptions o)
    {
        var postgres = await WithDbAsync(services, db => Task.FromResult(db.Provider == DatabaseProvider.Postgres));
        await WithDbAsync(services, db => db.Database.ExecuteSqlRawAsync(postgres
            ? "CREATE TABLE bench_scratch (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, writer INT NOT NULL, n INT NOT NULL, payload BYTEA NOT NULL)"
            : "CREATE TABLE bench_scratch (id INTEGER PRIMARY KEY, writer INT NOT NULL, n INT NOT NULL, payload BLOB NOT NULL)"));
        try
        {
            var payload = new byte[300];
            Random.Shared.NextBytes(payload);
            var remaining = o.Messages;
            var rows = 0;
            var limit = TimeSpan.FromSeconds(o.MaxSeconds);
            var ready = new Barrier(o.Clients + 1);
            var elapsed = new Stopwatch();
            var writers = Enumerable.Range(0, o.Clients).Select(w => Task.Factory.StartNew(() =>
            {
                using var scope = services.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
                db.Database.OpenConnection(); // through EF, so the durability PRAGMAs run as for the app
                var connection = db.Database.GetDbConnection();
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO bench_scratch (writer, n, payload) VALUES (@w, @n, @p)";
                AddParameter(insert, "@w", w);
                var n = AddParameter(insert, "@n", 0);
                AddParameter(insert, "@p", payload);
                ready.SignalAndWait();
                while (Interlocked.Decrement(ref remaining) >= 0 && elapsed.Elapsed < limit)
                {
                    using DbTransaction transaction = connection.BeginTransaction();
                    insert.Transaction = transaction;
                    n.Value = remaining;
                    insert.ExecuteNonQuery();
                    transaction.Commit();
                    Interlocked.Increment(ref rows);
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            ready.SignalAndWait();
            var cpu = CpuTime();
            var written = WrittenBytes(o);
            elapsed.Start();
            await Task.WhenAll(writers);
            elapsed.Stop();
            cpu = CpuTime() - cpu;
            ready.Dispose();
            return new RawResult(rows, elapsed.Elapsed, cpu, KiBPer(written, WrittenBytes(o), rows));
        }
        finally
        {
            await WithDbAsync(services, db => db.Database.ExecuteSqlRawAsync("DROP TABLE bench_scratch"));
        }
    }

    private static DbParameter AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static async Task<InboxScope> InboxScopeAsync(IServiceProvider services, Guid clinicianId) =>
        await WithDbAsync(services, async db =>
        {
            var threads = db.Threads.Where(t => t.Patient!.CareTeam.Any(m => m.StaffUserId == clinicianId));
            return new InboxScope(
                await threads.CountAsync(),
                await threads.SumAsync(t => t.MessageCount),
                await db.Messages.CountAsync());
        });

    /// <summary>The clinician signs in and loads the first page of their inbox, one request at a time.</summary>
    private static async Task<InboxResult> InboxAsync(Uri address, SeededData seeded, BenchOptions o)
    {
        using var client = new BenchClient(address);
        await client.SignInAsync(seeded.ClinicianEmail, BenchData.Password);
        var first = await client.GetStringAsync("/messages");
        if (!first.Contains("href=\"/messages?page=2\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The inbox did not show a full first page of threads.");
        }
        var warmup = await WarmUpAsync([async () => await client.GetStringAsync("/messages")]);
        Console.Write($"(warm-up {warmup.TotalSeconds:F0} s) ");
        var times = new double[o.InboxRequests];
        var cpu = CpuTime();
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await client.GetStringAsync("/messages");
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        cpu = CpuTime() - cpu;
        Array.Sort(times);
        return new InboxResult(times.Length, Percentile(times, 50), Percentile(times, 95), times[^1], times.Average(), cpu);
    }

    private static async Task<string> VerifyChainAsync(IServiceProvider services) =>
        await WithDbAsync(services, async db =>
        {
            var count = await AuditChain.CountAsync(db, CancellationToken.None);
            var broken = await AuditChain.VerifyAsync(db, CancellationToken.None);
            return broken is null ? $"{count:N0} rows, intact" : $"BROKEN at {broken.Sequence}: {broken.Reason}";
        });

    /// <summary>
    /// Starts each phase with the WAL checkpointed, so one phase's checkpoint work does not land in the next.
    /// RESTART, not TRUNCATE: the WAL file keeps its size and is overwritten in place, as in a running
    /// server (a growing WAL costs more per fsync, and that would penalise whichever phase came first).
    /// </summary>
    private static async Task CheckpointAsync(IServiceProvider services) =>
        await WithDbAsync(services, async db =>
        {
            if (db.Provider == DatabaseProvider.Sqlite)
            {
                await db.Database.OpenConnectionAsync();
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(RESTART)";
                await command.ExecuteNonQueryAsync();
            }
            return 0;
        });

    private static async Task<string> DescribeDatabaseAsync(IServiceProvider services) =>
        await WithDbAsync(services, async db =>
        {
            await db.Database.OpenConnectionAsync();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = db.Provider == DatabaseProvider.Sqlite ? "SELECT 'SQLite ' || sqlite_version()" : "SHOW server_version";
            var version = (string)(await command.ExecuteScalarAsync())!;
            return db.Provider == DatabaseProvider.Sqlite ? version : "PostgreSQL " + version.Split(' ')[0];
        });

    private static async Task<T> WithDbAsync<T>(IServiceProvider services, Func<HaleDbContext, Task<T>> work)
    {
        await using var scope = services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<HaleDbContext>());
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void PrintSummary(BenchOptions o, Result r, TimeSpan total)
    {
        var ratio = r.Send.Rate / r.Raw.Rate * 100;
        var engine = r.Database.StartsWith("SQLite", StringComparison.Ordinal) ? "SQLite" : "PostgreSQL";
        var writers = o.Clients;
        Console.WriteLine();
        Console.WriteLine($"messaging benchmark ({r.Database}, {Environment.ProcessorCount} cores)");
        Console.WriteLine($"send via HTTP: {r.Send.Rate:F0} msg/s ({writers} clients, {r.Send.Sent:N0} messages in {r.Send.Elapsed.TotalSeconds:F1} s; latency p50/p95 {r.Send.P50:F1} / {r.Send.P95:F1} ms; {r.Send.CpuMsPer:F2} ms CPU per message{Written(r.Send.KiBPerMessage, "message")}{(r.Send.Failed > 0 ? $"; {r.Send.Failed} FAILED" : "")})");
        Console.WriteLine($"raw ceiling:   {r.Raw.Rate:F0} commits/s (insert+commit, {writers} writers; {r.Raw.BeforeRate:F0} before and {r.Raw.AfterRate:F0} after the send phase{Written(r.Raw.KiBPerCommit, "commit")})");
        Console.WriteLine($"ratio:         {ratio:F1} % (target >= 40 %)");
        Console.WriteLine($"inbox p50/p95: {r.Inbox.P50:F1} / {r.Inbox.P95:F1} ms (max {r.Inbox.Max:F1}; clinician with {r.Scope.Threads:N0} threads / {r.Scope.Messages:N0} messages, {r.Scope.AllMessages:N0} messages in the database; {r.Inbox.Requests} requests; target p95 <= 25 ms on {engine})");
        Console.WriteLine($"audit chain:   {r.Chain}");
        Console.WriteLine($"total time:    {total.TotalSeconds:F0} s");
    }
}
