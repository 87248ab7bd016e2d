using Microsoft.Extensions.Logging;
using AuthCluster.Grains.Interfaces.Hosting;

namespace AuthCluster.Silo.Hosting;

/// <summary>
/// Runs a silo host and guarantees that a stop request (SIGTERM) ends the process within
/// <c>Cluster:ShutdownTimeout</c> plus <see cref="Grace"/>. A silo that cannot reach the membership table keeps
/// retrying to record its departure for minutes, whatever the host's shutdown timeout says; Kubernetes would then
/// kill it hard at the end of the grace period anyway. Leaving at the deadline is no worse: the other silos
/// declare it dead by probing, as after a crash, and every grain's state is already durable.
/// </summary>
public static partial class ShutdownDeadline
{
    /// <summary>Past the shutdown timeout, for the host to log and flush before the process ends.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    /// <summary>Exit code when the deadline cut the shutdown short (the orderly one exits with 0).</summary>
    public const int CutShortExitCode = 1;

    public static async Task<int> RunWithShutdownDeadlineAsync(this IHost host)
    {
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = lifetime.ApplicationStopping;
        try
        {
            await host.StartAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped while still starting (e.g. the database was unreachable): stop what did start.
        }

        await Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default);

        var deadline = ClusterSettings.From(host.Services.GetRequiredService<IConfiguration>()).ShutdownTimeout + Grace;
        var stop = host.StopAsync();
        if (await Task.WhenAny(stop, Task.Delay(deadline)) == stop)
        {
            await stop;
            host.Dispose();
            return 0;
        }

        LogCutShort(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ShutdownDeadline).FullName!), deadline);
        return CutShortExitCode;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The silo did not finish shutting down within {Deadline}; exiting anyway. The other silos declare it dead by probing.")]
    private static partial void LogCutShort(ILogger logger, TimeSpan deadline);
}
