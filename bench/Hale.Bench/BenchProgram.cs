using System.Globalization;

namespace Hale.Bench;

internal static class BenchProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            PrintUsage();
            return args.Length == 0 ? 2 : 0;
        }
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args[1..]);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            PrintUsage();
            return 2;
        }
        switch (args[0])
        {
            case "messaging":
                await MessagingBench.RunAsync(options);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"Unknown benchmark '{args[0]}'.");
                PrintUsage();
                return 2;
        }
    }

    private static void PrintUsage() => Console.Error.WriteLine("""
        usage: scripts/bench messaging [options]

          --provider sqlite|postgres   database (default sqlite, in a temp folder)
          --connection "CONN"          PostgreSQL server to use; a fresh database is created on it and dropped after
          --clients N                  concurrent senders and raw writers (default 8)
          --messages N                 messages sent through HTTP, and rows for the raw ceiling (default 4000)
          --max-seconds N              stop each write phase after N seconds even if the count is not reached (default 60)
          --inbox-requests N           timed GETs of /messages (default 500, after a warm-up)
          --patients N                 patients in the bulk data set (default 2000)
          --threads N                  threads in the bulk data set (default 10000)
          --bulk-messages N            messages in the bulk data set (default 100000)
          --panel N                    patients on the benchmarked clinician's panel (default 500)
          --keep                       keep the temp folder (and the PostgreSQL database)
        """);
}

internal sealed class BenchOptions
{
    public string Provider { get; private set; } = "sqlite";
    public string? Connection { get; private set; }
    public int Clients { get; private set; } = 8;
    public int Messages { get; private set; } = 4000;
    public int MaxSeconds { get; private set; } = 60;
    public int InboxRequests { get; private set; } = 500;
    public int Patients { get; private set; } = 2000;
    public int Threads { get; private set; } = 10_000;
    public int BulkMessages { get; private set; } = 100_000;
    public int Panel { get; private set; } = 500;
    public bool Keep { get; private set; }

    public bool IsPostgres => Provider == "postgres";

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            int Number() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"{name} needs a positive whole number.");
            switch (name)
            {
                case "--provider":
                    o.Provider = Value().ToLowerInvariant() switch
                    {
                        "sqlite" => "sqlite",
                        "postgres" or "postgresql" => "postgres",
                        var other => throw new ArgumentException($"Unknown provider '{other}'."),
                    };
                    break;
                case "--connection": o.Connection = Value(); break;
                case "--clients": o.Clients = Number(); break;
                case "--messages": o.Messages = Number(); break;
                case "--max-seconds": o.MaxSeconds = Number(); break;
                case "--inbox-requests": o.InboxRequests = Number(); break;
                case "--patients": o.Patients = Number(); break;
                case "--threads": o.Threads = Number(); break;
                case "--bulk-messages": o.BulkMessages = Number(); break;
                case "--panel": o.Panel = Number(); break;
                case "--keep": o.Keep = true; break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }
        if (o.IsPostgres && string.IsNullOrWhiteSpace(o.Connection))
        {
            throw new ArgumentException("--provider postgres needs --connection \"Host=...;Username=...\" (scripts/bench can start a throw-away server: see docs/performance.md).");
        }
        if (o.Panel > o.Patients)
        {
            throw new ArgumentException("--panel cannot be larger than --patients.");
        }
        return o;
    }
}
