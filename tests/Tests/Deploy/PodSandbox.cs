using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AuthCluster.Tests.Deploy;

/// <summary>
/// A pod network without Kubernetes: a Linux bridge with a /24 of its own, the host at <c>.1</c> (the "node", and
/// where Services the test provides listen), and per pod a network namespace with a veth on the bridge and its own
/// address — so every pod binds the manifest's ports unchanged and reaches the others by pod IP only. Needs root
/// and iproute2; everything is removed in <see cref="Dispose"/>.
/// </summary>
internal sealed class PodNetwork : IDisposable
{
    private readonly string _id;
    private readonly string _prefix;
    private readonly List<string> _namespaces = [];

    private PodNetwork(string id, string prefix)
    {
        _id = id;
        _prefix = prefix;
        Gateway = IPAddress.Parse(prefix + "1");
    }

    /// <summary>The host's address on the bridge.</summary>
    public IPAddress Gateway { get; }

    private string Bridge => "acb" + _id;

    /// <summary>Why pods cannot get network namespaces here, or null when they can.</summary>
    public static string? Unavailable() =>
        !OperatingSystem.IsLinux() ? "network namespaces need Linux"
        : Environment.UserName != "root" ? "network namespaces need root"
        : !new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.Any(File.Exists) ? "iproute2 (ip) is not installed"
        : null;

    public static PodNetwork Create()
    {
        // A random /24 in 10/8 that no interface of the host uses; the bridge name carries the same random id, so
        // test runs of several worktrees side by side do not collide.
        var used = Ip("-o", "-4", "addr", "show");
        for (var attempt = 0; ; attempt++)
        {
            var prefix = $"10.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(0, 256)}.";
            if (used.Contains(" " + prefix, StringComparison.Ordinal) && attempt < 20)
            {
                continue;
            }

            var network = new PodNetwork(Guid.NewGuid().ToString("N")[..8], prefix);
            try
            {
                Ip("link", "add", network.Bridge, "type", "bridge");
                Ip("addr", "add", network.Gateway + "/24", "dev", network.Bridge);
                Ip("link", "set", network.Bridge, "up");
                return network;
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
    }

    /// <summary>A new pod: its namespace (loopback up, <c>eth0</c> on the bridge) and address.</summary>
    public PodSandbox AddPod(string podName)
    {
        var index = _namespaces.Count + 2;
        var name = $"ac{_id}-{index}";
        var address = IPAddress.Parse(_prefix + index.ToString(CultureInfo.InvariantCulture));
        Ip("netns", "add", name);
        _namespaces.Add(name);
        Ip("link", "add", $"acv{_id}{index}", "type", "veth", "peer", "name", "eth0", "netns", name);
        Ip("link", "set", $"acv{_id}{index}", "master", Bridge, "up");
        Ip("-n", name, "addr", "add", address + "/24", "dev", "eth0");
        Ip("-n", name, "link", "set", "eth0", "up");
        Ip("-n", name, "link", "set", "lo", "up");
        return new PodSandbox(podName, name, address);
    }

    public void Dispose()
    {
        // Deleting a namespace deletes its end of the veth pair, and with it the host's end.
        foreach (var name in _namespaces)
        {
            TryIp("netns", "del", name);
        }

        TryIp("link", "del", Bridge);
    }

    private static void TryIp(params string[] arguments)
    {
        try
        {
            Ip(arguments);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string Ip(params string[] arguments)
    {
        var info = new ProcessStartInfo("ip", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output.Result
            : throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Trim()}");
    }
}

/// <summary>One pod's network identity: the name <c>metadata.name</c> gives, the namespace, the pod IP.</summary>
internal sealed record PodSandbox(string PodName, string NetworkNamespace, IPAddress Address);

/// <summary>
/// Forwards TCP connections from one address to another — here a Service address on the bridge to the test's
/// PostgreSQL, which listens on the host's loopback only.
/// </summary>
internal sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly ConcurrentBag<TcpClient> _connections = [];

    public TcpForwarder(IPEndPoint listen, IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(listen);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        try
        {
            await _accepting;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            _connections.Add(client);
            _ = PipeAsync(client);
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        _connections.Add(upstream);
        try
        {
            await upstream.ConnectAsync(_target, _stopping.Token);
            using var stream = client.GetStream();
            using var upstreamStream = upstream.GetStream();
            // Either direction ending ends the connection, as a closed socket would for the client.
            await Task.WhenAny(
                stream.CopyToAsync(upstreamStream, _stopping.Token),
                upstreamStream.CopyToAsync(stream, _stopping.Token));
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
        }
    }
}

/// <summary>
/// One container as a local process inside its pod's network namespace (<c>ip netns exec</c>), with exactly the
/// environment it is given — nothing of the test runner's own. Output goes to a log file; the tail is kept for
/// failure messages. Killed on dispose.
/// </summary>
internal sealed class ContainerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly ConcurrentQueue<string> _tail = new();

    private ContainerProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ContainerProcess Start(
        string name, PodSandbox pod, IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        var info = new ProcessStartInfo("ip", ["netns", "exec", pod.NetworkNamespace, .. argv])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        Directory.CreateDirectory(logDirectory);
        var log = new StreamWriter(Path.Combine(logDirectory, name + ".log"), append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var container = new ContainerProcess(name, process, log);
        process.OutputDataReceived += (_, e) => container.Append(e.Data);
        process.ErrorDataReceived += (_, e) => container.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return container;
    }

    /// <summary>Waits for the exit (an init container); the exit code, or null after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        // The exit event may precede the last output lines: let the streams drain.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public string Tail(int lines = 30) => string.Join(Environment.NewLine, _tail.TakeLast(lines));

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
        while (_tail.Count > 200 && _tail.TryDequeue(out _))
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
}
