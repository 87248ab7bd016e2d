using System.Diagnostics;
using System.Globalization;

namespace AuthCluster.LoadGen;

/// <summary>
/// What a session and a remembered revocation cost in memory: the tiers' resident memory (what a container limit
/// counts, garbage not yet collected included) before and after creating N guest sessions, and after logging all of
/// them out, which puts N entries into every API node's revocation view until their access tokens expire. The
/// sessions stay active grains until the silo's idle deactivation (<c>Cluster:IdleDeactivation</c>) collects them:
/// between creating and logging out, the tiers are measured once more after <c>--seconds</c> without load.
/// </summary>
internal static class MemoryGrowth
{
    public static async Task<int> RunAsync(Uri node, string clientId, string secret, Options options)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency * 2 }) { BaseAddress = node, Timeout = TimeSpan.FromSeconds(30) };
        var workload = new Workload([http], clientId, secret, options.Concurrency);
        var tokens = new string[options.Count];

        // A first tenth, not counted, so that start-up growth (code, caches, heaps sized to the load) is not counted.
        var warmUp = options with { Count = Math.Max(1, options.Count / 10) };
        await ForEachAsync("warm-up", warmUp, async i => await workload.LogoutAsync(await workload.NewSessionAsync()));

        var before = await SettledRssAsync(options);
        await ForEachAsync("creating sessions", options, async i => tokens[i] = await workload.NewSessionAsync());
        var withSessions = await SettledRssAsync(options);
        Console.WriteLine($"  idle for {options.Seconds} s");
        await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
        var idle = await SettledRssAsync(options);
        await ForEachAsync("logging them out", options, i => workload.LogoutAsync(tokens[i]));
        var withRevocations = await SettledRssAsync(options);

        var per100k = 100_000.0 / options.Count;
        foreach (var (tier, i) in options.Tiers.Select((t, i) => (t, i)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"memory {tier.Name,-5} {before[i],7:F0} MiB at start, +{(withSessions[i] - before[i]) * per100k,6:F0} MiB per 100,000 sessions, " +
                $"+{(idle[i] - before[i]) * per100k,6:F0} MiB per 100,000 sessions after {options.Seconds} s idle, " +
                $"+{(withRevocations[i] - withSessions[i]) * per100k,6:F0} MiB per 100,000 revocations (N = {options.Count:N0})"));
        }

        return 0;
    }

    /// <summary>Runs <paramref name="step"/> for 0..N-1 on the configured number of workers, printing progress every 10 %.</summary>
    private static async Task ForEachAsync(string what, Options options, Func<int, Task> step)
    {
        var clock = Stopwatch.StartNew();
        var next = -1;
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < options.Count; i = Interlocked.Increment(ref next))
            {
                await step(i);
                var finished = Interlocked.Increment(ref done);
                if (finished % Math.Max(1, options.Count / 10) == 0)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what}: {finished:N0} of {options.Count:N0} ({clock.Elapsed.TotalSeconds:F0} s)"));
                }
            }
        })));
    }

    /// <summary>
    /// Each tier's resident memory once background work after a burst (collections, flushes) has had a few seconds;
    /// with <c>--gcdump</c>, after a full garbage collection in each tier process (which a heap dump starts).
    /// </summary>
    private static async Task<double[]> SettledRssAsync(Options options)
    {
        if (options.GcDump is { } gcdump)
        {
            foreach (var pid in options.Tiers.Where(t => !t.WithChildren).SelectMany(t => t.Pids))
            {
                await CollectGarbageAsync(gcdump, pid);
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(5));
        return [.. options.Tiers.Select(t => t.RssMiB())];
    }

    private static async Task CollectGarbageAsync(string gcdump, int pid)
    {
        var file = Path.Combine(Path.GetTempPath(), $"loadgen-{pid}-{Guid.NewGuid():N}.gcdump");
        try
        {
            using var tool = Process.Start(new ProcessStartInfo(gcdump, ["collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }) ?? throw new InvalidOperationException($"{gcdump} did not start.");
            await tool.StandardOutput.ReadToEndAsync();
            await tool.WaitForExitAsync();
            if (tool.ExitCode != 0)
            {
                throw new InvalidOperationException($"{gcdump} collect -p {pid} failed: {await tool.StandardError.ReadToEndAsync()}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
