using System.Globalization;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AuthCluster.Tests.Faults;

/// <summary>
/// The soak: mixed load on 3 silos and 2 API nodes in their own pods for <c>AUTHCLUSTER_SOAK_MINUTES</c> (skipped
/// unless set; <c>tests/fault-lab/soak.sh</c> sets it), a fault every <c>AUTHCLUSTER_SOAK_FAULT_EVERY</c> seconds
/// (default 120) taken in turn from the partition and process faults, each cycle judged by the checker. Writes a
/// chart (SVG) and the nodes' memory over time (CSV) to <c>AUTHCLUSTER_SOAK_OUT</c> (default <c>docs/soak</c>).
/// </summary>
[Collection(MeasuredAlone.Name)]
[ProcessLevel]
public sealed class SoakTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bucket = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public async Task Soak_FaultEveryFewMinutes_InvariantsHoldAndChartWritten()
    {
        var minutes = Environment.GetEnvironmentVariable("AUTHCLUSTER_SOAK_MINUTES");
        Skip.If(string.IsNullOrEmpty(minutes), "a soak runs only when AUTHCLUSTER_SOAK_MINUTES is set (tests/fault-lab/soak.sh)");
        var unavailable = FaultLab.Unavailable();
        Skip.If(unavailable is not null, unavailable);
        var duration = TimeSpan.FromMinutes(double.Parse(minutes, CultureInfo.InvariantCulture));
        var cycle = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("AUTHCLUSTER_SOAK_FAULT_EVERY") ?? "120", CultureInfo.InvariantCulture));
        var outDirectory = Environment.GetEnvironmentVariable("AUTHCLUSTER_SOAK_OUT") is { Length: > 0 } o ? o : Path.Combine(Binaries.RepositoryRoot, "docs", "soak");

        await using var lab = await FaultLab.StartAsync("soak", silos: 3, apis: 2);
        var origin = DateTime.UtcNow;
        var buckets = new List<LoadBucket>();
        var faults = new List<FaultMark>();
        var memory = new List<MemorySample>();
        var reports = new List<ScenarioReport>();
        using var sampling = new CancellationTokenSource();
        var sampler = SampleMemoryAsync(lab, origin, memory, sampling.Token);
        try
        {
            var kinds = Faults(lab);
            for (var i = 0; DateTime.UtcNow - origin + cycle <= duration + TimeSpan.FromSeconds(5); i++)
            {
                var (name, hold, fault, heal) = kinds[i % kinds.Count];
                var warmUp = cycle / 5;
                DateTime faultAt = default;
                var report = await lab.RunAsync(name,
                    fault: async () =>
                    {
                        faultAt = DateTime.UtcNow;
                        return await fault();
                    },
                    heal: async () =>
                    {
                        var note = await heal();
                        faults.Add(new FaultMark(faultAt - origin, DateTime.UtcNow - origin, name));
                        return note;
                    },
                    hold,
                    observe: cycle - warmUp - hold - TimeSpan.FromSeconds(8), // leaves time for the read-back
                    warmUp: warmUp,
                    onHistory: history => buckets.AddRange(SoakChart.Buckets(history, origin, Bucket)));
                reports.Add(report);
                output.WriteLine(report.ToString());
                Console.WriteLine("[soak] " + report);
            }
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
            Directory.CreateDirectory(outDirectory);
            var stamp = origin.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var title = FormattableString.Invariant($"AuthCluster soak {stamp}: {(DateTime.UtcNow - origin).TotalMinutes:F0} min, a fault every {cycle.TotalSeconds:F0} s, 3 silos + 2 API nodes, {FaultLab.Workers} workers");
            // Buckets at the edge of a cycle hold calls of two loads: merge them.
            var merged = buckets.GroupBy(b => b.At).Select(g => new LoadBucket(g.Key, g.Sum(b => b.Requests), g.Sum(b => b.Failed), g.Max(b => b.P99))).OrderBy(b => b.At).ToList();
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "soak.svg"), SoakChart.Render(title, Bucket, merged, faults, memory));
            await File.WriteAllLinesAsync(Path.Combine(outDirectory, "soak-memory.csv"),
                memory.Select(m => FormattableString.Invariant($"{m.At.TotalSeconds:F0},{m.Node},{m.Megabytes:F1}")).Prepend("seconds,node,rss_mb"));
            await File.WriteAllLinesAsync(Path.Combine(outDirectory, "soak-cycles.md"), reports.Select(r => r.MarkdownRow)
                .Prepend("|---|---|---|---|---|---|").Prepend("| fault | failed requests | longest unavailability | last failure after heal | invariants | what the cluster did |"));
        }

        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.True(r.Check.Holds, $"{r.Name}: {string.Join("\n", r.Check.Violations.Take(20))}"));
    }

    /// <summary>The rotation: each fault with how long it is held, how it is made and how it is healed.</summary>
    private static List<(string Name, TimeSpan Hold, Func<Task<string>> Fault, Func<Task<string>> Heal)> Faults(FaultLab lab)
    {
        var restart = () => lab.RestartEndedSilosAsync(TimeSpan.FromSeconds(120));
        SiloNode? target = null;
        return
        [
            ("silo isolated from silos", TimeSpan.FromSeconds(20), () =>
            {
                target = lab.LiveSilos()[2];
                lab.IsolateFromSilos(target);
                return Task.FromResult("");
            }, async () =>
            {
                lab.HealFromSilos(target!);
                return await restart();
            }),
            ("silo cut from PostgreSQL", TimeSpan.FromSeconds(20), () =>
            {
                target = lab.LiveSilos()[1];
                PodNetwork.Partition(target.Pod!, lab.Database);
                return Task.FromResult("");
            }, async () =>
            {
                PodNetwork.Heal(target!.Pod!, lab.Database);
                return await restart();
            }),
            ("API node cut from a silo", TimeSpan.FromSeconds(20), () =>
            {
                target = lab.LiveSilos()[0];
                PodNetwork.Partition(lab.Cluster.Apis[0].Pod!, target.Pod!);
                return Task.FromResult("");
            }, async () =>
            {
                PodNetwork.Heal(lab.Cluster.Apis[0].Pod!, target!.Pod!);
                return await restart();
            }),
            ("kill -9 of a silo", TimeSpan.FromSeconds(10), () =>
            {
                lab.Cluster.Kill(lab.LiveSilos()[1]);
                return Task.FromResult("");
            }, restart),
            ("SIGTERM of a silo", TimeSpan.FromSeconds(5), async () =>
            {
                var code = await lab.Cluster.TerminateAsync(lab.LiveSilos()[2], TimeSpan.FromSeconds(40));
                return $"exit code {code}";
            }, restart),
            ("PostgreSQL down 10 s", TimeSpan.FromSeconds(10), async () =>
            {
                await lab.Postgres.PauseAsync();
                return "";
            }, async () =>
            {
                await lab.Postgres.ResumeAsync();
                return await restart();
            }),
        ];
    }

    /// <summary>Every 5 s, the resident memory of each node process (by pod name, across restarts) from /proc.</summary>
    private static async Task SampleMemoryAsync(FaultLab lab, DateTime origin, List<MemorySample> samples, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            List<(string PodName, NodeProcess Process)> nodes;
            try
            {
                nodes = [.. lab.LiveSilos().Select(s => (s.Pod!.PodName, s.Process)).Concat(lab.Cluster.Apis.Select(a => (a.Pod!.PodName, a.Process))).Where(n => !n.Process.HasExited)];
            }
            catch (InvalidOperationException)
            {
                nodes = []; // a silo was being restarted meanwhile: the next sample has it
            }

            foreach (var (pod, process) in nodes)
            {
                if (ResidentMegabytes(process.Id) is { } megabytes)
                {
                    lock (samples)
                    {
                        samples.Add(new MemorySample(DateTime.UtcNow - origin, pod, megabytes));
                    }
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static double? ResidentMegabytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return null; // exited meanwhile
        }
    }
}
