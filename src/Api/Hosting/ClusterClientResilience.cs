using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Networking.Shared;
using Orleans.Runtime.Messaging;
using Orleans.Storage;

namespace AuthCluster.Api.Hosting;

/// <summary>
/// Keeps an API node in <c>Client</c> mode trying to reach the cluster at start-up instead of crashing: silos may
/// start after it, or the database may still be coming up. Until it connects, <c>/health/ready</c> answers 503.
/// </summary>
internal sealed partial class ClusterConnectionRetryFilter(ILogger<ClusterConnectionRetryFilter> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);
    private int _attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        LogConnectFailed(logger, Interlocked.Increment(ref _attempts), exception.GetType().Name);
        try
        {
            await Task.Delay(Delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return !cancellationToken.IsCancellationRequested;
    }

    // The exception's message may name hosts but never credentials; the type is enough to tell the cause.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reach the cluster yet (attempt {Attempt}, {ExceptionType}); retrying")]
    private static partial void LogConnectFailed(ILogger logger, int attempt, string exceptionType);
}

/// <summary>
/// Retries, for a few seconds, a grain call that failed because the silo holding the grain died, is shutting down
/// or lost an ETag race, so that a killed or redeployed silo costs callers latency rather than errors. Only methods
/// that are <c>[ReadOnly]</c> or <see cref="RetrySafeAttribute">[RetrySafe]</see> are repeated after any such failure;
/// any other call only when Orleans rejected it before it ran (<see cref="IsUndelivered"/>). Otherwise a failure leaves
/// unknown whether the call took effect, so it surfaces (as <c>503</c>) instead of acting twice.
/// </summary>
internal sealed partial class GrainCallRetryFilter(
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<GrainCallRetryFilter> logger) : IOutgoingGrainCallFilter
{
    /// <summary>
    /// Outlasts failure detection of a killed silo (1–2 s with our membership settings) but stays at the client's
    /// response timeout, so that a call the cluster cannot serve (e.g. a grain that cannot activate while the
    /// database is down) is refused about as quickly as an unanswered one.
    /// </summary>
    internal static readonly TimeSpan MaxWindow = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan[] Backoff =
        [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(150), TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(600)];

    private static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<MethodInfo, RetryKind> _kinds = new();

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var kind = _kinds.GetOrAdd(context.InterfaceMethod, Classify);
        var window = Window(kind);
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
            var delay = attempt < Backoff.Length ? Backoff[attempt] : LongestBackoff;
            var retryable = failure is not null && (kind == RetryKind.Never ? IsUndelivered(failure) : IsTransient(failure));
            if (!retryable || time.GetElapsedTime(started) + delay > window)
            {
                thrown?.Throw();
                return;
            }

            LogRetrying(logger, context.InterfaceName, context.MethodName, attempt + 1, failure!.GetType().Name);
            await Task.Delay(delay, time);
        }
    }

    /// <summary>True for failures of the cluster rather than of the call: the same call may succeed on another silo.</summary>
    internal static bool IsTransient(Exception exception) => exception
        is OrleansMessageRejectionException // includes SiloUnavailableException: the target or gateway silo is gone
        or ConnectionFailedException or SocketConnectionException // the gateway could not be reached
        or InconsistentStateException // a duplicate activation lost the ETag race and deactivated; the next one reads fresh state
        or TimeoutException; // no answer in ClientMessagingOptions.ResponseTimeout, e.g. from a silo that just died

    /// <summary>
    /// True when the call provably never ran: Orleans rejected it on the way (its activation was gone or its silo
    /// stopping, e.g. during a rolling deploy), so even a call that must not run twice may be sent again. A
    /// <see cref="SiloUnavailableException"/> is no such proof: it also ends calls that were running on a silo that died.
    /// </summary>
    internal static bool IsUndelivered(Exception exception) =>
        exception is OrleansMessageRejectionException and not SiloUnavailableException;

    private TimeSpan Window(RetryKind kind) => kind switch
    {
        RetryKind.Always or RetryKind.Never => MaxWindow,
        // Stop well inside the grace window: a repeat the session grain sees after the window looks like reuse.
        RetryKind.WithinRefreshGrace => Min(MaxWindow, options.Value.Tokens.RefreshReuseGrace * 0.7),
        _ => TimeSpan.Zero,
    };

    private static RetryKind Classify(MethodInfo method)
    {
        if (method.GetCustomAttribute<RetrySafeAttribute>() is { } safe)
        {
            return safe.WithinRefreshGrace ? RetryKind.WithinRefreshGrace : RetryKind.Always;
        }

        return method.GetCustomAttribute<ReadOnlyAttribute>() is not null ? RetryKind.Always : RetryKind.Never;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private enum RetryKind
    {
        Never,
        Always,
        WithinRefreshGrace,
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying {Interface}.{Method} (attempt {Attempt}) after {ExceptionType}")]
    private static partial void LogRetrying(ILogger logger, string @interface, string method, int attempt, string exceptionType);
}
