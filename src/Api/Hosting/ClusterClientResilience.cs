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
/// <remarks>
/// A call that may be repeated (<see cref="RetrySafety.Repeatable"/>, <see cref="RetrySafety.WithinRefreshGrace"/>) is
/// also sent again <em>while its first attempt is still running</em> as soon as <see cref="SiloLossSignal"/> reports a
/// lost gateway connection: a call in flight on a silo that has just died would otherwise wait for its response
/// timeout (2–5 s, and Orleans checks expiry only once a second), while the repeat is answered by a survivor as soon
/// as the dead silo is declared dead (1–2 s). Whichever attempt answers first is the answer; the others are
/// abandoned. This is only sound because such calls are idempotent: the grains are not reentrant, so a repeat that
/// reaches the same live activation waits for the first attempt and returns its outcome. Each attempt is a call of
/// its own through the grain reference (the filter never continues the original call chain), marked so that this
/// filter passes it straight through.
/// </remarks>
internal sealed partial class GrainCallRetryFilter(
    IOptions<AuthOptions> options,
    TimeProvider time,
    SiloLossSignal siloLoss,
    ILogger<GrainCallRetryFilter> logger) : IOutgoingGrainCallFilter
{
    private static readonly AsyncLocal<bool> InAttempt = new();

    private readonly ConcurrentDictionary<MethodInfo, (RetrySafety Safety, Func<Task, object?>? Result)> _methods = new();

    public Task Invoke(IOutgoingGrainCallContext context)
    {
        if (InAttempt.Value)
        {
            // One attempt of a call this filter is already repeating: send it as it is.
            return context.Invoke();
        }

        var (safety, result) = _methods.GetOrAdd(context.InterfaceMethod, Describe);
        return safety == RetrySafety.OnlyIfUndelivered || result is null
            ? InvokeSequentiallyAsync(context, safety)
            : InvokeRepeatableAsync(context, safety, result);
    }

    private static (RetrySafety, Func<Task, object?>?) Describe(MethodInfo method)
    {
        var safety = FailurePolicy.RetrySafetyOf(method);
        Func<Task, object?>? result = method.ReturnType == typeof(Task) ? static _ => null
            : method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
                ? method.ReturnType.GetProperty(nameof(Task<object>.Result)) is { } property ? task => property.GetValue(task) : null
            : null;
        return (safety, result);
    }

    /// <summary>Calls that must not run twice: repeated, one after another, only when Orleans proves they never ran.</summary>
    private async Task InvokeSequentiallyAsync(IOutgoingGrainCallContext context, RetrySafety safety)
    {
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

    /// <summary>
    /// Idempotent calls: repeated after a transient failure; sent again at once when a gateway connection is lost while
    /// they run; and, for a few seconds after such a loss, sent again whenever an attempt goes unanswered for a moment.
    /// </summary>
    private async Task InvokeRepeatableAsync(IOutgoingGrainCallContext context, RetrySafety safety, Func<Task, object?> result)
    {
        var arguments = new object?[context.Request.GetArgumentCount()];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = context.Request.GetArgument(i);
        }

        var grace = options.Value.Tokens.RefreshReuseGrace;
        var window = FailurePolicy.RetryWindowFor(safety, grace);
        var started = time.GetTimestamp();
        var lost = siloLoss.NextLoss;
        var running = new List<Task<object?>> { AttemptAsync(context, arguments, result) };
        Task? retryDue = null;
        Task? hedgeDue = HedgeTimer();
        Exception? lastFailure = null;
        var failures = 0;
        try
        {
            while (running.Count > 0 || retryDue is not null)
            {
                var waits = new List<Task>(running) { lost };
                if (retryDue is not null)
                {
                    waits.Add(retryDue);
                }

                if (hedgeDue is not null)
                {
                    waits.Add(hedgeDue);
                }

                var done = await Task.WhenAny(waits);
                if (done is Task<object?> attempt && running.Remove(attempt))
                {
                    if (attempt.IsCompletedSuccessfully)
                    {
                        context.Result = attempt.Result;
                        return;
                    }

                    // An async method ends cancelled, not faulted, when the call threw OperationCanceledException.
                    lastFailure = attempt.Exception?.InnerException ?? new OperationCanceledException("A grain call attempt was cancelled.");
                    if (FailurePolicy.Classify(lastFailure) == FailureKind.Bug)
                    {
                        break;
                    }

                    // Orleans cancels a request that was still queued at an activation that went away: for an idempotent
                    // call that is one more lost attempt, not an answer.
                    var judged = lastFailure is OperationCanceledException ? new TimeoutException("A grain call attempt was cancelled.", lastFailure) : lastFailure;
                    if (retryDue is null
                        && FailurePolicy.RetryDelay(judged, safety, failures++, time.GetElapsedTime(started), grace) is { } delay)
                    {
                        LogRetrying(logger, lastFailure, context.InterfaceName, context.MethodName, failures);
                        retryDue = Task.Delay(delay, time);
                    }
                }
                else if (done == retryDue)
                {
                    retryDue = null;
                    running.Add(AttemptAsync(context, arguments, result));
                    hedgeDue = HedgeTimer();
                }
                else if (done == lost || done == hedgeDue)
                {
                    lost = done == lost ? siloLoss.NextLoss : lost;
                    if (running.Count is > 0 and < FailurePolicy.MaxParallelAttempts && time.GetElapsedTime(started) < window)
                    {
                        LogRepeatingAfterSiloLoss(logger, context.InterfaceName, context.MethodName);
                        running.Add(AttemptAsync(context, arguments, result));
                    }

                    hedgeDue = HedgeTimer();
                }
            }
        }
        finally
        {
            // Abandoned attempts still complete (at the latest at their response timeout); nobody awaits them.
            foreach (var abandoned in running)
            {
                _ = abandoned.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }

        ExceptionDispatchInfo.Throw(lastFailure!);
    }

    /// <summary>
    /// While a silo loss is recent (<see cref="FailurePolicy.SiloLossSuspicion"/>), the time after which an unanswered
    /// attempt gets company: until the dead silo is declared dead, an attempt may be lost on the way to it even through
    /// a live gateway. At any other time none, so that a slow cluster is never sent more work.
    /// </summary>
    private Task? HedgeTimer() =>
        siloLoss.LostWithin(FailurePolicy.SiloLossSuspicion) ? Task.Delay(FailurePolicy.HedgeAfter, time) : null;

    /// <summary>One attempt: a call of its own through the same grain reference, which this filter passes through.</summary>
    private static async Task<object?> AttemptAsync(IOutgoingGrainCallContext context, object?[] arguments, Func<Task, object?> result)
    {
        Task call;
        InAttempt.Value = true;
        try
        {
            call = (Task)context.InterfaceMethod.Invoke(context.Grain, arguments)!;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(exception.InnerException);
            throw;
        }
        finally
        {
            InAttempt.Value = false;
        }

        await call;
        return result(call);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying {Interface}.{Method} (attempt {Attempt})")]
    private static partial void LogRetrying(ILogger logger, Exception exception, string @interface, string method, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "A silo was lost: sending {Interface}.{Method} again while an earlier attempt is outstanding")]
    private static partial void LogRepeatingAfterSiloLoss(ILogger logger, string @interface, string method);
}

/// <summary>
/// Tells the retry filter when this node loses a gateway connection — the first sign, well before the membership
/// table says so, that a silo has died: every API node keeps a connection to every gateway, and the operating
/// system closes them the moment the silo's process is gone. Grain calls in flight may have been lost with it.
/// </summary>
internal sealed class SiloLossSignal(TimeProvider time) : IClusterConnectionStatusObserver
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastLoss = long.MinValue;

    /// <summary>Whether a gateway connection was lost within the last <paramref name="period"/>.</summary>
    public bool LostWithin(TimeSpan period)
    {
        var last = Volatile.Read(ref _lastLoss);
        return last != long.MinValue && time.GetElapsedTime(last) < period;
    }

    /// <summary>Completes at the next loss of a gateway connection (or of the whole cluster connection).</summary>
    public Task NextLoss => Volatile.Read(ref _next).Task;

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            Signal();
        }
    }

    public void NotifyClusterConnectionLost() => Signal();

    /// <summary>Reports a loss now (also for tests).</summary>
    public void Signal()
    {
        Volatile.Write(ref _lastLoss, time.GetTimestamp());
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
