using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AuthCluster.LoadGen;

/// <summary>
/// A closed-loop run of one scenario: N workers, one request in flight each, every latency recorded. After a
/// warm-up (JIT, caches, activations) the measured window starts; the tiers' CPU time is read at both ends of it,
/// so CPU per request counts the servers' work only, however much the load generator itself takes.
/// </summary>
internal static class Benchmark
{
    /// <summary>Runs against one API node, or spreads the requests evenly over several (as a load balancer would).</summary>
    public static async Task<int> RunAsync(IReadOnlyList<Uri> nodes, string clientId, string secret, Scenario scenario, Options options)
    {
        var clients = nodes.Select(node => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = node,
            Timeout = TimeSpan.FromSeconds(30),
        }).ToList();
        var workload = new Workload(clients, clientId, secret, options.Concurrency);
        await workload.PrepareAsync(scenario);

        await LoopAsync(workload, scenario, options.Concurrency, TimeSpan.FromSeconds(Math.Min(3, options.Seconds / 3.0)));
        var cpuBefore = options.Tiers.Select(t => t.CpuTime()).ToList();
        var run = await LoopAsync(workload, scenario, options.Concurrency, TimeSpan.FromSeconds(options.Seconds));
        var cpuPerRequest = options.Tiers.Select((t, i) => (t.Name, Micros: (t.CpuTime() - cpuBefore[i]).TotalMicroseconds / Math.Max(1, run.Latencies.Count))).ToList();
        var peakRss = options.Tiers.Select(t => (t.Name, MiB: t.PeakRssMiB())).ToList();

        var latencies = run.Latencies;
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
        var throughput = latencies.Count / run.Elapsed.TotalSeconds;
        var errors = run.Errors.Values.Sum();
        var name = scenario.ToString().ToLowerInvariant();

        var errorText = errors == 0 ? "0" : string.Join(" ", run.Errors.Select(e => $"{(e.Key == 0 ? "net" : e.Key)}×{e.Value}"));
        var tiers = string.Concat(cpuPerRequest.Select(c => string.Create(CultureInfo.InvariantCulture, $"  cpu/req {c.Name} {c.Micros:F0} µs"))) +
            string.Concat(peakRss.Select(r => string.Create(CultureInfo.InvariantCulture, $"  rss {r.Name} {r.MiB:F0} MiB")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-10} {throughput,8:F0} req/s  p50 {Percentile(0.50),6:F2}  p95 {Percentile(0.95),6:F2}  p99 {Percentile(0.99),7:F2}  max {latencies.LastOrDefault(),7:F1} ms  errors {errorText}{tiers}"));

        if (options.JsonFile is { } file)
        {
            await File.AppendAllTextAsync(file, JsonSerializer.Serialize(new
            {
                scenario = name,
                concurrency = options.Concurrency,
                seconds = Math.Round(run.Elapsed.TotalSeconds, 2),
                requests = latencies.Count,
                throughput = Math.Round(throughput, 1),
                p50_ms = Math.Round(Percentile(0.50), 3),
                p95_ms = Math.Round(Percentile(0.95), 3),
                p99_ms = Math.Round(Percentile(0.99), 3),
                max_ms = Math.Round(latencies.LastOrDefault(), 3),
                errors = run.Errors.ToDictionary(e => e.Key == 0 ? "net" : e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value),
                cpu_us_per_request = cpuPerRequest.ToDictionary(c => c.Name, c => Math.Round(c.Micros, 1)),
                peak_rss_mib = peakRss.ToDictionary(r => r.Name, r => Math.Round(r.MiB, 1)),
            }) + Environment.NewLine);
        }

        return errors == 0 ? 0 : 1;
    }

    private sealed record Run(List<double> Latencies, Dictionary<int, long> Errors, TimeSpan Elapsed);

    private static async Task<Run> LoopAsync(Workload workload, Scenario scenario, int workers, TimeSpan duration)
    {
        var latencies = new List<double>[workers];
        var errors = new Dictionary<int, long>[workers];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = new List<double>(50_000);
            var failed = errors[worker] = [];
            for (long n = 0; clock.Elapsed < duration; n++)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await workload.RunAsync(scenario, worker, n);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (FailedRequest failure)
                {
                    failed[failure.Status] = failed.GetValueOrDefault(failure.Status) + 1;
                }
            }
        })));

        var allErrors = errors.SelectMany(e => e).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
        return new Run([.. latencies.SelectMany(l => l)], allErrors, clock.Elapsed);
    }
}
