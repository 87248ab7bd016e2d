using System.Globalization;
using AuthCluster.LoadGen;

// The benchmark's load generator: drives one scenario against a running AuthCluster and reports throughput,
// latency, errors by status and — for the processes it is told about — CPU time per request and peak memory per
// tier; or measures the machine's limits (one bcrypt hash, one ES256 signature and verification, the HTTP floor).
const string Usage = """
    usage:
      LoadGen run <base-url[,base-url...]> <client-id> <client-secret> <scenario> [--seconds N] [--concurrency N]
                  [--tier NAME=PID[,PID...]]... [--json FILE]
          scenario: register | login | guest | refresh | validate | introspect | jwks | mixed
                    (mixed: 70 % validate, 15 % refresh, 8 % guest, 5 % login, 2 % register)
          --tier: processes whose CPU time and peak RSS count for that tier (e.g. api=123 silo=456,457);
                  a PID given as db:PID counts that PostgreSQL postmaster and all of its backends.
          --json: append the result as one JSON line to FILE.
      LoadGen memory <base-url> <client-id> <client-secret> --count N [--concurrency N] [--seconds N]
                  [--gcdump PATH] [--tier NAME=PID[,PID...]]...
          memory per session and per remembered revocation: the tiers' resident memory before and after N new guest
          sessions, again after --seconds without load (idle deactivation), and after logging all N out.
          --gcdump: a dotnet-gcdump to force a full garbage collection in every tier process before each measurement,
                    so that memory no longer in use is not counted.
      LoadGen limits [--cost N] [--json FILE]
          the single-thread cost of one bcrypt hash at cost N (default 11) and of ES256 sign and verify.
      LoadGen http-floor --port N
          serves the validate scenario's requests (and the guest logins it prepares with) with bytes of the same size
          and no work at all, on 127.0.0.1:N until stopped: the HTTP floor under validate's CPU per request.
    """;

try
{
    return args switch
    {
        ["run", var url, var clientId, var secret, var scenario, .. var rest] =>
            await Benchmark.RunAsync([.. url.Split(',').Select(u => new Uri(u.TrimEnd('/') + "/"))], clientId, secret, ScenarioNames.Parse(scenario), Options.Parse(rest)),
        ["memory", var url, var clientId, var secret, .. var rest] =>
            await MemoryGrowth.RunAsync(new Uri(url.TrimEnd('/') + "/"), clientId, secret, Options.Parse(rest)),
        ["limits", .. var rest] => Limits.Run(Options.Parse(rest)),
        ["http-floor", "--port", var port] when int.TryParse(port, out var number) => await HttpFloor.RunAsync(number),
        ["help" or "--help" or "-h"] => Help(0),
        _ => Help(2),
    };
}
catch (ArgumentException exception)
{
    await Console.Error.WriteLineAsync(exception.Message);
    return 2;
}

int Help(int code)
{
    (code == 0 ? Console.Out : Console.Error).WriteLine(Usage);
    return code;
}

/// <summary>The <c>--name value</c> options after a command's positional arguments.</summary>
internal sealed record Options(int Seconds, int Concurrency, int Cost, IReadOnlyList<Tier> Tiers, string? JsonFile, int Count, string? GcDump = null)
{
    public static Options Parse(IReadOnlyList<string> args)
    {
        var (seconds, concurrency, cost, tiers, json, count, gcdump) = (15, 16, 11, new List<Tier>(), (string?)null, 100_000, (string?)null);
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i++])
            {
                case "--seconds": seconds = Positive(value, "--seconds"); break;
                case "--concurrency": concurrency = Positive(value, "--concurrency"); break;
                case "--cost": cost = Positive(value, "--cost"); break;
                case "--tier": tiers.Add(Tier.Parse(value)); break;
                case "--json": json = value; break;
                case "--count": count = Positive(value, "--count"); break;
                case "--gcdump": gcdump = value; break;
                default: throw new ArgumentException($"Unknown option {args[i - 1]}.");
            }
        }

        return new Options(seconds, concurrency, cost, tiers, json, count, gcdump);
    }

    private static int Positive(string text, string name) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} must be a positive integer.");
}
