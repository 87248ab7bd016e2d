using System.Diagnostics;
using System.Globalization;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Faults;

/// <summary>
/// The namespaced topology: PostgreSQL, silos and API nodes each in a pod of their own on one bridge
/// (<see cref="PodNetwork"/>), every silo advertising its pod IP. Faults are partitions between pods and the process
/// faults of <see cref="ProcessCluster"/>; <see cref="RunAsync"/> runs one scenario under a recorded load and judges
/// it with <see cref="HistoryChecker"/>. Usable from any test; <c>tests/fault-lab/soak.sh</c> drives it for a soak.
/// Disposing removes every process, the database and every namespace, bridge and veth, also after a failure.
/// </summary>
internal sealed class FaultLab : IAsyncDisposable
{
    public const int Workers = 6;

    /// <summary>The service's default <c>Auth:Tokens:RefreshReuseGrace</c>, which these nodes run with.</summary>
    public static readonly TimeSpan RefreshReuseGrace = TimeSpan.FromSeconds(10);

    /// <summary>Short, so that the SIGTERM-while-cut-off scenario takes seconds; a graceful stop needs 1–3 s.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private FaultLab(PodNetwork network, ThrowawayPostgres postgres, ProcessCluster cluster)
    {
        Network = network;
        Postgres = postgres;
        Cluster = cluster;
    }

    public PodNetwork Network { get; }

    public ThrowawayPostgres Postgres { get; }

    public ProcessCluster Cluster { get; }

    public PodSandbox Database => Postgres.Pod!;

    /// <summary>Why the lab cannot run here (not root, no iproute2, no PostgreSQL), or null.</summary>
    public static string? Unavailable() =>
        PodNetwork.Unavailable() ?? (ThrowawayPostgres.IsInstalled ? null : "PostgreSQL's server binaries are not installed");

    public static async Task<FaultLab> StartAsync(string name, int silos, int apis)
    {
        var network = PodNetwork.Create();
        ThrowawayPostgres? postgres = null;
        ProcessCluster? cluster = null;
        try
        {
            postgres = await ThrowawayPostgres.StartAsync(network.AddPod("postgres"));
            cluster = await ProcessCluster.CreateAsync(postgres.ConnectionString, name, network);
            cluster.Overrides["Cluster__ShutdownTimeout"] = ShutdownTimeout.ToString("c", CultureInfo.InvariantCulture);
            var lab = new FaultLab(network, postgres, cluster);
            await lab.StartNodesAsync(silos, apis);
            return lab;
        }
        catch
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }

            network.Dispose();
            throw;
        }
    }

    public string PickupDirectory => Path.Combine(Cluster.LogDirectory, "mail");

    /// <summary>
    /// Starts the nodes and waits until every silo is active and every API node ready. A silo starved of CPU while it
    /// joins (a busy 2-core machine) can be declared dead before it has joined and then stops itself; Kubernetes would
    /// restart its container, and so does the lab, twice at most.
    /// </summary>
    private async Task StartNodesAsync(int silos, int apis)
    {
        for (var i = 0; i < silos; i++)
        {
            Cluster.StartSilo();
        }

        for (var i = 0; i < apis; i++)
        {
            Cluster.StartApi();
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await Cluster.WaitForActiveSilosAsync(silos, TimeSpan.FromSeconds(120));
                break;
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                await ReplaceEndedSilosAsync(TimeSpan.FromSeconds(120));
            }
        }

        foreach (var api in Cluster.Apis)
        {
            await Cluster.WaitReadyAsync(api, TimeSpan.FromSeconds(90));
        }
    }

    /// <summary>
    /// One scenario: load for <paramref name="warmUp"/>, then <paramref name="fault"/>, after <paramref name="hold"/>
    /// <paramref name="heal"/>, then <paramref name="observe"/> more of load; then the read-back and the checker.
    /// Both actions return a note for the report (what the cluster did); <paramref name="onHistory"/> sees the whole
    /// recorded history (e.g. to chart it).
    /// </summary>
    public async Task<ScenarioReport> RunAsync(
        string name, Func<Task<string>> fault, Func<Task<string>> heal, TimeSpan hold, TimeSpan observe, TimeSpan? warmUp = null,
        Action<IReadOnlyList<HistoryEntry>>? onHistory = null)
    {
        using var load = new RecordedLoad(Cluster.Apis, PickupDirectory);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(Workers, stop.Token);
        string faultNote, healNote;
        DateTime faultAt, healedAt;
        try
        {
            await Task.Delay(warmUp ?? TimeSpan.FromSeconds(3));
            faultAt = DateTime.UtcNow;
            faultNote = await fault();
            await Task.Delay(faultAt + hold - DateTime.UtcNow is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
            healedAt = DateTime.UtcNow;
            healNote = await heal();
            await Task.Delay(observe);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }

        var readBack = Stopwatch.StartNew();
        await load.ReadBackAsync(RefreshReuseGrace);
        var history = load.History.Snapshot();
        onHistory?.Invoke(history);
        var result = HistoryChecker.Check(history, RefreshReuseGrace);
        var sessionIds = result.Violations.Select(v => v.SessionId).OfType<Guid>().Select(id => id.ToString()).Distinct().ToList();
        return ScenarioReport.From(name, history, faultAt, healedAt, result, $"{faultNote}; {healNote}".Trim(' ', ';'), readBack.Elapsed)
            with { Evidence = sessionIds.Count == 0 ? "" : Cluster.LogLinesMentioning(sessionIds) };
    }

    /// <summary>Cuts <paramref name="silo"/> off from every other silo (both directions); API nodes and PostgreSQL still reach it.</summary>
    public void IsolateFromSilos(SiloNode silo)
    {
        foreach (var other in LiveSilos().Where(s => s != silo))
        {
            PodNetwork.Partition(silo.Pod!, other.Pod!);
        }
    }

    public void HealFromSilos(SiloNode silo)
    {
        foreach (var other in LiveSilos().Where(s => s != silo))
        {
            PodNetwork.Heal(silo.Pod!, other.Pod!);
        }
    }

    /// <summary>
    /// After a heal: a silo that ended (the others declared it dead and it stopped itself, or a test stopped it) is
    /// started again in its pod, as Kubernetes restarts a container; returns once all of them are Active again.
    /// </summary>
    public async Task<string> RestartEndedSilosAsync(TimeSpan timeout)
    {
        var (replaced, allActive) = await ReplaceEndedSilosAsync(timeout);
        return $"{replaced}; {await allActive}";
    }

    /// <summary>
    /// As <see cref="RestartEndedSilosAsync"/>, but returns once the replacements are started: the note says which
    /// silos ended, the task says when all of them were active again (a silo's start takes long on a busy machine).
    /// </summary>
    public async Task<(string Replaced, Task<string> AllActive)> ReplaceEndedSilosAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        // A silo the membership table calls dead is on its way out (it stops itself once it reads that), however
        // alive its process still looks: wait for it to go, as the kubelet would see the container exit.
        var statuses = await Cluster.SiloStatusesAsync();
        var ended = LiveSilos().Where(s => s.Process.HasExited || statuses.GetValueOrDefault(s.Endpoint) == global::AuthCluster.Tests.Cluster.SiloStatus.Dead).ToList();
        foreach (var silo in ended)
        {
            Cluster.ExpectExit(silo);
            if (!silo.Process.HasExited && !await Poll.TryUntilAsync((Func<bool>)(() => silo.Process.HasExited), TimeSpan.FromSeconds(30)))
            {
                Cluster.Kill(silo);
            }

            Cluster.StartSilo(silo.Pod);
        }

        var count = LiveSilos().Count;
        var replaced = ended.Count == 0
            ? "no silo ended"
            : $"{string.Join(", ", ended.Select(s => $"{s.Process.Name} ended (exit {s.Process.ExitCode})"))} and was restarted in its pod";
        return (replaced, AllActiveAsync());

        async Task<string> AllActiveAsync()
        {
            await Cluster.WaitForActiveSilosAsync(count, timeout);
            return FormattableString.Invariant($"all {count} silos active {clock.Elapsed.TotalSeconds:F1} s after the heal");
        }
    }

    /// <summary>The silo processes of the current generation: the latest one in each pod.</summary>
    public List<SiloNode> LiveSilos() => [.. Cluster.Silos.GroupBy(s => s.Pod).Select(g => g.Last())];

    /// <summary>The membership table's view of each current silo, for notes.</summary>
    public async Task<string> MembershipAsync()
    {
        var statuses = await Cluster.SiloStatusesAsync();
        return string.Join(", ", LiveSilos().Select(s => $"{s.Process.Name} {statuses.GetValueOrDefault(s.Endpoint)}{(s.Process.HasExited ? " (exited)" : "")}"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Cluster.DisposeAsync();
        }
        finally
        {
            try
            {
                await Postgres.DisposeAsync();
            }
            finally
            {
                Network.Dispose();
            }
        }
    }
}

/// <summary>What one scenario cost and whether every invariant held.</summary>
internal sealed record ScenarioReport(
    string Name,
    int Requests,
    int Failed,
    string FailedByStatus,
    TimeSpan LongestUnavailability,
    TimeSpan RecoveryAfterHeal,
    TimeSpan MaxLatency,
    CheckResult Check,
    string Notes,
    TimeSpan ReadBack,
    string FailureTimeline)
{
    /// <summary>The node log lines that name a session the checker found broken.</summary>
    public string Evidence { get; init; } = "";

    /// <summary>Failed calls that began more than a second after the heal: failures the fault itself cannot explain.</summary>
    public int FailedAfterHeal { get; init; }

    /// <summary>Failures closer together than this count as one window of unavailability.</summary>
    private static readonly TimeSpan Joining = TimeSpan.FromSeconds(1);

    public static ScenarioReport From(string name, IReadOnlyList<HistoryEntry> history, DateTime faultAt, DateTime healedAt, CheckResult check, string notes, TimeSpan readBack)
    {
        var load = history.Where(e => e.Phase == Phase.Load).ToList();
        var failed = load.Where(e => e.Unknown).OrderBy(e => e.Start).ToList();
        var longest = TimeSpan.Zero;
        DateTime? windowStart = null, windowEnd = null;
        foreach (var entry in failed)
        {
            if (windowEnd is { } end && entry.Start - end <= Joining)
            {
                windowEnd = entry.End > end ? entry.End : end;
            }
            else
            {
                windowStart = entry.Start;
                windowEnd = entry.End;
            }

            longest = windowEnd.Value - windowStart!.Value > longest ? windowEnd.Value - windowStart.Value : longest;
        }

        var lastFailure = failed.Count == 0 ? (DateTime?)null : failed.Max(e => e.End);
        var recovery = lastFailure is { } last && last > healedAt ? last - healedAt : TimeSpan.Zero;
        return new ScenarioReport(
            name,
            load.Count,
            failed.Count,
            string.Join(", ", failed.GroupBy(e => $"{e.Operation} {e.Status}").OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}")),
            longest,
            recovery,
            load.Count == 0 ? TimeSpan.Zero : load.Max(e => e.End - e.Start),
            check,
            notes,
            readBack,
            string.Join(", ", failed.Take(30).Select(e => FormattableString.Invariant($"{(e.Start - faultAt).TotalSeconds:+0.0;-0.0}s {e.Operation} {e.Status} {e.Api} ({(e.End - e.Start).TotalSeconds:F1} s)"))))
        {
            FailedAfterHeal = failed.Count(e => e.Start > healedAt + TimeSpan.FromSeconds(1)),
        };
    }

    public override string ToString() =>
        FormattableString.Invariant($"{Name}: {Failed} of {Requests} requests failed{(Failed > 0 ? $" ({FailedByStatus})" : "")}; longest unavailability {LongestUnavailability.TotalSeconds:F1} s; ")
        + FormattableString.Invariant($"last failure {RecoveryAfterHeal.TotalSeconds:F1} s after the heal; max latency {MaxLatency.TotalSeconds:F1} s; {Check.Summary}; {Notes}")
        + (Failed > 0 ? $"\n    failures (start relative to the fault, operation, status, node, duration): {FailureTimeline}" : "")
        + (Evidence.Length > 0 ? $"\n    node log lines naming the broken sessions:{Evidence}" : "");

    /// <summary>A row of the table in docs/cluster.md.</summary>
    public string MarkdownRow => FormattableString.Invariant(
        $"| {Name} | {Failed} of {Requests}{(Failed > 0 ? $" ({FailedByStatus})" : "")} | {LongestUnavailability.TotalSeconds:F1} s | {RecoveryAfterHeal.TotalSeconds:F1} s | {(Check.Holds ? "all hold" : string.Join("; ", Check.Violations.GroupBy(v => v.Kind).Select(g => $"{g.Key}×{g.Count()}")))} ({Check.Accounts} accounts, {Check.Sessions} sessions) | {Notes} |");
}
