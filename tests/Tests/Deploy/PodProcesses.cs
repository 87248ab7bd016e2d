using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AuthCluster.Tests.Faults;

namespace AuthCluster.Tests.Deploy;

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
