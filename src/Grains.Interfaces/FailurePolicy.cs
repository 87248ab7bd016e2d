using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Orleans.Concurrency;
using Orleans.Networking.Shared;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// The one place that says what a failed grain call means and what may be done about it: which exceptions are
/// <see cref="FailureKind.Transient"/>, <see cref="FailureKind.Unavailable"/> or a <see cref="FailureKind.Bug"/>,
/// which calls may be sent again, how soon and for how long, and the response timeouts those rules rely on.
/// Used by the API's grain-call retry filter and cluster connection retry, the API's error mapping
/// (<c>503</c> for everything that is not a bug) and the silo's storage filter.
/// </summary>
/// <remarks>
/// Which methods are retry-safe stays on the grain interfaces, next to the method it describes (<c>[ReadOnly]</c>,
/// <see cref="RetrySafeAttribute">[RetrySafe]</see>); <see cref="RetrySafetyOf"/> is the only reader of those marks.
/// </remarks>
public static class FailurePolicy
{
    /// <summary>
    /// How long the API keeps repeating a grain call. Outlasts failure detection of a killed silo (1–2 s with our
    /// membership settings) plus a retry-safe call's own timeout (<see cref="OneWriteTimeout"/>), so that a call lost
    /// with its silo is repeated on a survivor; and no longer than <see cref="ClientResponseTimeout"/>, so that a call
    /// the cluster cannot serve (e.g. a grain that cannot activate while the database is down) is refused about as
    /// quickly as an unanswered one. A constant of its own, not a setting: it follows from the two timeouts.
    /// </summary>
    public static readonly TimeSpan RetryWindow = TimeSpan.FromSeconds(5);

    /// <summary>An API node's default grain-call timeout (Orleans' own is 30 s): no request waits long on a dead silo.</summary>
    public static readonly TimeSpan ClientResponseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>[ResponseTimeout]</c> of retry-safe reads answered from memory: one that takes this long was lost with its
    /// silo, and timing out early turns a dead silo into a retry rather than an error.
    /// </summary>
    public const string QuickReadTimeout = "00:00:02";

    /// <summary><c>[ResponseTimeout]</c> of retry-safe calls that write once or twice (milliseconds when healthy).</summary>
    public const string OneWriteTimeout = "00:00:03";

    /// <summary>Pause between attempts of an API node to reach the cluster at start-up.</summary>
    public static readonly TimeSpan ConnectRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>
    /// What a refresh's repeats leave free at the end of <c>Auth:Tokens:RefreshReuseGrace</c>. The session grain takes
    /// a repeat for the same refresh only while the presented token's grace window is open, and a repeat sent at the
    /// end of the retry window may still reach it until its response timeout (<see cref="OneWriteTimeout"/>) has
    /// passed; the second on top covers its latency and the clock difference between the silo that rotated and the
    /// one that answers the repeat after a failover.
    /// </summary>
    public static readonly TimeSpan RefreshGraceMargin = TimeSpan.Parse(OneWriteTimeout, CultureInfo.InvariantCulture) + TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many attempts of one idempotent call may be outstanding at once: the first, and repeats sent when a gateway
    /// connection is lost while it runs (a silo died; the attempt may have died with it).
    /// </summary>
    public const int MaxParallelAttempts = 6;

    /// <summary>
    /// How long after an API node lost a gateway connection (a silo died) its idempotent calls are sent again when an
    /// attempt goes unanswered for <see cref="HedgeAfter"/>: until the dead silo is declared dead (1–2 s) and its
    /// grains' directory entries are recovered, a call to one of its grains may be lost on the way even through a
    /// live gateway, and would otherwise wait for its response timeout.
    /// </summary>
    public static readonly TimeSpan SiloLossSuspicion = TimeSpan.FromSeconds(6);

    /// <summary>See <see cref="SiloLossSuspicion"/>: well above a healthy call's latency, well below the 2 s a request may take.</summary>
    public static readonly TimeSpan HedgeAfter = TimeSpan.FromMilliseconds(400);

    // Quick first retries (a stopping silo's rejections clear at once), then four times a second: a call to a grain of
    // a silo that died is rejected at once until the silo is declared dead (1–2 s), and must reach the grain's new
    // activation soon after that. A rejected attempt costs one message.
    private static readonly TimeSpan[] Backoff =
        [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)];

    private static readonly TimeSpan LongestBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>Says what <paramref name="exception"/>, thrown by a grain call or by the cluster client, means.</summary>
    public static FailureKind Classify(Exception exception) => exception switch
    {
        // Includes SiloUnavailableException: the target or gateway silo is gone.
        OrleansMessageRejectionException => FailureKind.Transient,
        // The gateway could not be reached.
        ConnectionFailedException or SocketConnectionException => FailureKind.Transient,
        // A duplicate activation lost the ETag race and deactivated; the next activation reads fresh state.
        InconsistentStateException => FailureKind.Transient,
        // No answer within the response timeout, typically from a silo that just died.
        TimeoutException => FailureKind.Transient,
        // The database: not back within a request's patience.
        StorageUnavailableException => FailureKind.Unavailable,
        _ when IsDatabaseFailure(exception) => FailureKind.Unavailable,
        // A create that found its record made by something other than a repeat of itself: never expected (callers
        // pick fresh ids and repeats are recognised), so not retried; the shop starts over.
        AlreadyCreatedException => FailureKind.Unavailable,
        // Any other failure of the Orleans runtime (activation failures, a client not connected), or a call
        // cancelled because it could not complete in time.
        OrleansException or OperationCanceledException => FailureKind.Unavailable,
        // A client that has not reached the cluster yet has no grain manifest, so resolving any grain fails with
        // an ArgumentException from Orleans itself: the cluster cannot serve yet, not a bug.
        ArgumentException when exception.Source?.StartsWith("Orleans", StringComparison.Ordinal) == true => FailureKind.Unavailable,
        _ => FailureKind.Bug,
    };

    /// <summary>
    /// True when the call provably never ran: Orleans rejected it on the way (its activation was gone or its silo
    /// stopping, e.g. during a rolling deploy), so even a call that must not run twice may be sent again. A
    /// <see cref="SiloUnavailableException"/> is no such proof: it also ends calls that were running on a silo that died.
    /// </summary>
    public static bool IsUndelivered(Exception exception) =>
        exception is OrleansMessageRejectionException and not SiloUnavailableException;

    /// <summary>
    /// True when the database driver failed somewhere beneath <paramref name="exception"/>. An ETag conflict
    /// (<see cref="InconsistentStateException"/>) is not one: it says another activation wrote first, and is transient.
    /// </summary>
    public static bool IsDatabaseFailure(Exception exception)
    {
        if (exception is InconsistentStateException)
        {
            return false;
        }

        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads a grain interface method's retry marks (<c>[RetrySafe]</c>, <c>[ReadOnly]</c>).</summary>
    public static RetrySafety RetrySafetyOf(MethodInfo method)
    {
        if (method.GetCustomAttribute<RetrySafeAttribute>() is { } safe)
        {
            return safe.WithinRefreshGrace ? RetrySafety.WithinRefreshGrace : RetrySafety.Repeatable;
        }

        return method.GetCustomAttribute<ReadOnlyAttribute>() is not null ? RetrySafety.Repeatable : RetrySafety.OnlyIfUndelivered;
    }

    /// <summary>
    /// How long after its first attempt a call may still be sent again: <see cref="RetryWindow"/>, except that a
    /// refresh also stops <see cref="RefreshGraceMargin"/> before the end of the reuse grace window. That one
    /// dependency on a setting is deliberate: past the window the session grain would take the repeat for reuse of a
    /// retired token and revoke the session. With a grace of <see cref="RefreshGraceMargin"/> or less a refresh is
    /// never repeated.
    /// </summary>
    public static TimeSpan RetryWindowFor(RetrySafety safety, TimeSpan refreshReuseGrace) => safety switch
    {
        RetrySafety.WithinRefreshGrace => Min(RetryWindow, Max(TimeSpan.Zero, refreshReuseGrace - RefreshGraceMargin)),
        _ => RetryWindow,
    };

    /// <summary>
    /// Decides whether a call that failed with <paramref name="failure"/> on attempt <paramref name="attempt"/>
    /// (0 for the first), <paramref name="elapsed"/> after its first attempt began, is sent again, and after what
    /// pause; <c>null</c> when the failure is the answer. A repeatable call is repeated after any transient failure;
    /// any other call only when it never ran, because otherwise whether it took effect is unknown and repeating it
    /// could act twice (a second registration answering 409, one wrong password counted twice).
    /// </summary>
    public static TimeSpan? RetryDelay(Exception failure, RetrySafety safety, int attempt, TimeSpan elapsed, TimeSpan refreshReuseGrace)
    {
        var mayRepeat = safety == RetrySafety.OnlyIfUndelivered ? IsUndelivered(failure) : Classify(failure) == FailureKind.Transient;
        var delay = attempt < Backoff.Length ? Backoff[attempt] : LongestBackoff;
        return mayRepeat && elapsed + delay <= RetryWindowFor(safety, refreshReuseGrace) ? delay : null;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
