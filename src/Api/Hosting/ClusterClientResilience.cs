using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;

namespace AuthCluster.Api.Hosting;

/// <summary>
/// Keeps an API node in <c>Client</c> mode trying to reach the cluster at start-up instead of crashing: silos may
/// start after it, or the database may still be coming up. Until it connects, <c>/health/ready</c> answers 503.
/// A failure that <see cref="FailurePolicy"/> calls a bug (e.g. a malformed connection string) cannot heal by
/// waiting, so start-up fails with it instead of leaving a node that is never ready.
/// </summary>
internal sealed partial class ClusterConnectionRetryFilter(ILogger<ClusterConnectionRetryFilter> logger) : IClientConnectionRetryFilter
{
    private int _attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref _attempts);
        if (FailurePolicy.Classify(exception) == FailureKind.Bug)
        {
            LogConnectAbandoned(logger, exception, attempt);
            return false;
        }

        LogConnectFailed(logger, exception, attempt);
        try
        {
            await Task.Delay(FailurePolicy.ConnectRetryDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return !cancellationToken.IsCancellationRequested;
    }

    // Connection failures name hosts and ports, never credentials: the database driver leaves passwords out.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reach the cluster yet (attempt {Attempt}); retrying")]
    private static partial void LogConnectFailed(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot reach the cluster (attempt {Attempt}) for a reason that waiting will not fix; giving up")]
    private static partial void LogConnectAbandoned(ILogger logger, Exception exception, int attempt);
}

/// <summary>
/// Repeats, for a few seconds, a grain call that failed because the silo holding the grain died, is shutting down
/// or lost an ETag race, so that a killed or redeployed silo costs callers latency rather than errors. What is
/// repeated, how soon and for how long is <see cref="FailurePolicy.RetryDelay"/>'s decision; a failure it does not
/// repeat surfaces to the endpoint (and becomes <c>503</c> unless it is a bug).
/// </summary>
internal sealed partial class GrainCallRetryFilter(
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<GrainCallRetryFilter> logger) : IOutgoingGrainCallFilter
{
    private readonly ConcurrentDictionary<MethodInfo, RetrySafety> _safety = new();

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var safety = _safety.GetOrAdd(context.InterfaceMethod, FailurePolicy.RetrySafetyOf);
        var started = time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            ExceptionDispatchInfo? thrown = null;
            try
            {
                await context.Invoke();
            }
            catch (Exception exception)
            {
                thrown = ExceptionDispatchInfo.Capture(exception);
            }

            // Orleans usually hands a failed call back as a response carrying the exception, not as a throw.
            var failure = thrown?.SourceException ?? context.Response?.Exception;
            if (failure is null
                || FailurePolicy.RetryDelay(failure, safety, attempt, time.GetElapsedTime(started), options.Value.Tokens.RefreshReuseGrace) is not { } delay)
            {
                thrown?.Throw();
                return;
            }

            LogRetrying(logger, failure, context.InterfaceName, context.MethodName, attempt + 1);
            await Task.Delay(delay, time);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying {Interface}.{Method} (attempt {Attempt})")]
    private static partial void LogRetrying(ILogger logger, Exception exception, string @interface, string method, int attempt);
}
