using System.Collections.Concurrent;
using System.Diagnostics;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// One real silo or API process (<c>dotnet AuthCluster.X.dll</c>, already built), configured by environment
/// variables only. Its output goes to a log file; the last lines are kept for failure messages. Every process
/// started here is killed when the test run ends, even if a test forgets or crashes.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly ConcurrentQueue<string> _tail = new();

    static NodeProcess()
    {
        // Last line of defence against orphans: a crashed test run must not leave silos behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Running.Values)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            }
        };
    }

    private NodeProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string LogPath { get; private init; } = "";

    public static NodeProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, string logDirectory, params string[] arguments) =>
        Start(name, dll, environment, logDirectory, networkNamespace: null, arguments);

    /// <summary>
    /// Starts the node inside a Linux network namespace (<c>ip netns exec</c>, which execs the node itself, so the
    /// process id, signals and exit code are the node's own).
    /// </summary>
    public static NodeProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, string logDirectory, string? networkNamespace, params string[] arguments)
    {
        string[] command = [DotnetHost(), dll, .. arguments];
        var info = new ProcessStartInfo(networkNamespace is null ? command[0] : "ip", networkNamespace is null ? command[1..] : ["netns", "exec", networkNamespace, .. command])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Only our settings: nothing of the test runner's own configuration may leak into the node.
        foreach (var key in info.Environment.Keys.ToList())
        {
            if (key.StartsWith("Auth__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Cluster__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("Storage__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase))
            {
                info.Environment.Remove(key);
            }
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, name + ".log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var node = new NodeProcess(name, process, log) { LogPath = logPath };
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.Start();
        Running[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Runs a node command to completion (e.g. <c>schema apply</c>) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string dll, IReadOnlyDictionary<string, string> environment, string logDirectory, TimeSpan timeout, params string[] arguments)
    {
        await using var node = Start("cmd-" + Guid.NewGuid().ToString("N")[..6], dll, environment, logDirectory, arguments);
        using var cts = new CancellationTokenSource(timeout);
        await node._process.WaitForExitAsync(cts.Token);
        // The exit event may precede the last output lines: wait for the streams to drain.
        node._process.WaitForExit();
        return (node._process.ExitCode, node.Tail(int.MaxValue));
    }

    /// <summary><c>kill -9</c>: no shutdown, no goodbye to the membership table, connections reset.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as Kubernetes sends on a rolling deploy; returns once the process has exited.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        // bash's built-in kill: no dependency on procps being installed.
        using (var kill = Process.Start("bash", ["-c", $"kill -TERM {Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}"]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public string Tail(int lines = 40) => string.Join(Environment.NewLine, _tail.TakeLast(lines));

    /// <summary>
    /// Returns once <paramref name="path"/> answers 200 (refused or slow answers count as not yet); throws with the
    /// log's tail as soon as the process exits, or after <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitUntilOkAsync(HttpClient http, string path, TimeSpan timeout)
    {
        var ok = await Poll.TryUntilAsync(async () => HasExited || await AnswersOkAsync(http, path), timeout);
        if (!ok || HasExited)
        {
            throw new TimeoutException($"{Name} not ready at {path} (exited: {HasExited}).\n{Tail()}");
        }
    }

    private static async Task<bool> AnswersOkAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode == System.Net.HttpStatusCode.OK;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            Running.TryRemove(_process.Id, out _);
            _process.Dispose();
            lock (_log)
            {
                _log.Dispose();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        _tail.Enqueue(line);
        while (_tail.Count > 400 && _tail.TryDequeue(out _))
        {
        }

        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
