using System.Globalization;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Xunit.Abstractions;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// Issue 12, item 4: <c>kill -9</c> of one of three silos under a mixed load through two API nodes in <c>Client</c>
/// mode fails no request, and no request waits longer than 2 s; afterwards nothing acknowledged is missing. Real
/// processes on a throw-away PostgreSQL database, as <see cref="ClusterFaultTests"/> runs them.
/// </summary>
/// <remarks>
/// One run in the ordinary test command. <c>AUTHCLUSTER_SILO_LOSS_RUNS=5</c> repeats it that many times in a row, each
/// run on a fresh database and cluster, and fails if any run fails (docs/cluster.md). Every run's numbers go to the
/// test output and to <c>TestResults/silo-loss.txt</c>.
/// </remarks>
[Collection(MeasuredAlone.Name)]
[ProcessLevel]
public sealed class SiloLossTests(ITestOutputHelper output)
{
    public const string RunsVariable = "AUTHCLUSTER_SILO_LOSS_RUNS";

    private const int Workers = 8;
    private const int MinimumRequests = 2_000;

    /// <summary>Sessions the load must have made before the kill: grains of every kind live on every silo by then.</summary>
    private const int WarmSessions = 60;

    private static readonly TimeSpan MaxLatency = TimeSpan.FromSeconds(2);

    // The load goes on for at least this long after the kill (and until it has made MinimumRequests), so that the
    // measurement covers detection, failover and the first calls to re-activated grains.
    private static readonly TimeSpan ObservationAfterKill = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan LongestRun = TimeSpan.FromSeconds(90);

    [SkippableFact]
    public async Task KillSilo_UnderMixedLoad_NoRequestFails_NoneWaitsLongerThan2Seconds()
    {
        var server = Environment.GetEnvironmentVariable(PostgreSqlFixture.EnvironmentVariable);
        Skip.If(string.IsNullOrWhiteSpace(server) && !ThrowawayPostgres.IsInstalled, PostgreSqlFixture.SkipReason);
        var runs = int.TryParse(Environment.GetEnvironmentVariable(RunsVariable), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;
        await using var postgres = string.IsNullOrWhiteSpace(server) ? await ThrowawayPostgres.StartAsync() : null;

        var failedRuns = new List<string>();
        for (var run = 1; run <= runs; run++)
        {
            var problems = await RunOnceAsync(postgres?.ConnectionString ?? server!, run, runs);
            if (problems.Count > 0)
            {
                failedRuns.Add($"run {run}: {string.Join("; ", problems.Take(10))}");
            }
        }

        Assert.True(failedRuns.Count == 0, string.Join("\n", failedRuns));
    }

    private async Task<List<string>> RunOnceAsync(string server, int run, int runs)
    {
        await using var cluster = await ProcessCluster.CreateAsync(server, "siloloss");
        var problems = new List<string>();
        try
        {
            // Arrange: a cluster that has served every kind of request once (JIT, key ring, first activations), then
            // the measured load.
            await cluster.StartAsync(silos: 3, apis: 2);
            using (var warm = new MixedLoad(cluster.Apis))
            using (var warming = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
            {
                await warm.RunAsync(Workers, warming.Token);
            }

            using var load = new MixedLoad(cluster.Apis);
            using var stop = new CancellationTokenSource();
            var started = DateTime.UtcNow;
            var running = load.RunAsync(Workers, stop.Token);
            await Poll.TryUntilAsync(() => Task.FromResult(load.SessionCount >= WarmSessions || running.IsCompleted), TimeSpan.FromSeconds(60));

            // Act
            var victim = cluster.Silos[run % cluster.Silos.Count];
            var killedAt = DateTime.UtcNow;
            cluster.Kill(victim);
            var declaredDead = await WaitForDeathAsync(cluster) - killedAt;
            await Poll.TryUntilAsync(
                () => Task.FromResult(DateTime.UtcNow - killedAt >= ObservationAfterKill && load.Requests.Count >= MinimumRequests),
                LongestRun - (DateTime.UtcNow - started));
            await stop.CancelAsync();
            await running;
            var measured = load.Measure(killedAt);
            var lost = await load.VerifyAsync();

            // Assert
            Report(FormattableString.Invariant(
                $"run {run}/{runs}: kill -9 of {victim.Process.Name} (1 of 3 silos), declared dead after {declaredDead.TotalSeconds:F2} s; {measured}; ") +
                $"{load.AccountCount} accounts, {load.SessionCount} sessions verified ({load.UncertainCount} uncertain, {lost.Count} missing)");
            problems.AddRange(load.Violations);
            problems.AddRange(lost);
            if (measured.Requests < MinimumRequests)
            {
                problems.Add($"only {measured.Requests} requests");
            }

            if (measured.Failed > 0)
            {
                problems.Add($"{measured.Failed} requests failed ({measured.FailedByOperation})");
            }

            var tooSlow = load.Requests.Count(r => !r.Operation.StartsWith("verify", StringComparison.Ordinal)
                && r.Latency > MaxLatency);
            if (tooSlow > 0)
            {
                problems.Add($"{tooSlow} requests waited too long (max {measured.MaxLatency.TotalSeconds:F2} s): {Slowest(load)}");
            }

            if (load.UncertainCount > 0)
            {
                problems.Add($"{load.UncertainCount} sessions left uncertain");
            }
        }
        catch (Exception exception)
        {
            problems.Add($"{exception.GetType().Name}: {exception.Message}");
        }

        if (problems.Count > 0)
        {
            output.WriteLine(cluster.Diagnostics());
        }

        return problems;
    }

    private static string Slowest(MixedLoad load) => string.Join(", ", load.Requests
        .Where(r => !r.Operation.StartsWith("verify", StringComparison.Ordinal))
        .OrderByDescending(r => r.Latency).Take(5)
        .Select(r => FormattableString.Invariant($"{r.Operation}@{r.Api} {r.StartedUtc:HH:mm:ss.fff} {r.Latency.TotalSeconds:F2} s → {r.Status}")));

    /// <summary>Waits until the membership table names a dead silo (this cluster's only one: the victim).</summary>
    private static async Task<DateTime> WaitForDeathAsync(ProcessCluster cluster)
    {
        await Poll.TryUntilAsync(
            async () => (await cluster.SiloStatusesAsync()).Values.Any(status => status == SiloStatus.Dead),
            TimeSpan.FromSeconds(30));
        return DateTime.UtcNow;
    }

    /// <summary>To the test output and to stdout and <c>TestResults/silo-loss.txt</c>, so that CI logs show the numbers.</summary>
    private void Report(string line)
    {
        output.WriteLine(line);
        Console.WriteLine("[silo-loss] " + line);
        var path = Path.Combine(Binaries.RepositoryRoot, "TestResults", "silo-loss.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.AppendAllText(path, $"{DateTime.UtcNow:u} {line}{Environment.NewLine}");
    }
}
