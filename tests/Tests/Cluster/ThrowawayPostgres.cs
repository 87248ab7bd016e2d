using System.Diagnostics;
using System.Globalization;
using AuthCluster.Tests.Storage;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// A PostgreSQL server of one test's own (the project's <c>.ci/postgres.sh</c> on another port and state
/// directory), so that the test can take it down and bring it back without disturbing any other test.
/// </summary>
internal sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;

    private ThrowawayPostgres(Dictionary<string, string> environment, string connectionString)
    {
        _environment = environment;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>Whether PostgreSQL's server binaries are where <c>postgres.sh</c> looks for them (it would install them otherwise).</summary>
    public static bool IsInstalled =>
        Directory.Exists("/usr/lib/postgresql")
        && Directory.EnumerateDirectories("/usr/lib/postgresql").Any(v => File.Exists(Path.Combine(v, "bin", "initdb")));

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var environment = new Dictionary<string, string>
        {
            ["AUTHCLUSTER_PG_PORT"] = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture),
            ["AUTHCLUSTER_PG_STATE"] = Path.Combine(Path.GetTempPath(), "authcluster-pg-" + Guid.NewGuid().ToString("N")[..12]),
        };
        var output = await RunAsync(environment, "start");
        return new ThrowawayPostgres(environment, output.Trim().Split('\n')[^1].Trim());
    }

    /// <summary>A fast shutdown, as an outage: every connection is cut and new ones are refused.</summary>
    public Task PauseAsync() => RunAsync(_environment, "pause");

    public Task ResumeAsync() => RunAsync(_environment, "resume");

    public async ValueTask DisposeAsync() => await RunAsync(_environment, "stop");

    private static async Task<string> RunAsync(Dictionary<string, string> environment, string command)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(Binaries.RepositoryRoot, ".ci", "postgres.sh"), command])
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
