using System.Diagnostics;
using System.Globalization;
using AuthCluster.Tests.Faults;
using AuthCluster.Tests.Storage;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// A PostgreSQL server of one test's own (the project's <c>.ci/postgres.sh</c> on another port and state
/// directory), so that the test can take it down and bring it back without disturbing any other test. Started in a
/// pod (<see cref="PodNetwork"/>), it runs inside that pod's network namespace and listens on the pod's address only,
/// so nodes in other pods reach it over the bridge and a partition can cut them off from it.
/// </summary>
internal sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly PodSandbox? _pod;

    private ThrowawayPostgres(Dictionary<string, string> environment, PodSandbox? pod, string connectionString)
    {
        _environment = environment;
        _pod = pod;
        ConnectionString = connectionString;
    }

    /// <summary>The pod it runs in, or null on the host's loopback.</summary>
    public PodSandbox? Pod => _pod;

    public string ConnectionString { get; }

    /// <summary>Whether PostgreSQL's server binaries are where <c>postgres.sh</c> looks for them (it would install them otherwise).</summary>
    public static bool IsInstalled =>
        Directory.Exists("/usr/lib/postgresql")
        && Directory.EnumerateDirectories("/usr/lib/postgresql").Any(v => File.Exists(Path.Combine(v, "bin", "initdb")));

    public static async Task<ThrowawayPostgres> StartAsync(PodSandbox? pod = null)
    {
        var environment = new Dictionary<string, string>
        {
            // A pod has its own ports; on the host, a free one.
            ["AUTHCLUSTER_PG_PORT"] = pod is null ? TestSilo.FreePort().ToString(CultureInfo.InvariantCulture) : "5432",
            ["AUTHCLUSTER_PG_STATE"] = Path.Combine(Path.GetTempPath(), "authcluster-pg-" + Guid.NewGuid().ToString("N")[..12]),
        };
        if (pod is not null)
        {
            environment["AUTHCLUSTER_PG_LISTEN"] = pod.Address.ToString();
        }

        var output = await RunAsync(environment, pod, "start");
        return new ThrowawayPostgres(environment, pod, output.Trim().Split('\n')[^1].Trim());
    }

    /// <summary>A fast shutdown, as an outage: every connection is cut and new ones are refused.</summary>
    public Task PauseAsync() => RunAsync(_environment, _pod, "pause");

    public Task ResumeAsync() => RunAsync(_environment, _pod, "resume");

    public async ValueTask DisposeAsync() => await RunAsync(_environment, _pod, "stop");

    private static async Task<string> RunAsync(Dictionary<string, string> environment, PodSandbox? pod, string command)
    {
        string[] script = ["bash", Path.Combine(Binaries.RepositoryRoot, ".ci", "postgres.sh"), command];
        var info = new ProcessStartInfo(pod is null ? "bash" : "ip", pod is null ? script[1..] : ["netns", "exec", pod.NetworkNamespace, .. script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"postgres.sh {command} failed ({process.ExitCode}): {await stderr}");
        }

        return await stdout;
    }
}
