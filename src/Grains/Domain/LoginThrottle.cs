using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Grains.Domain;

/// <summary>
/// Exponential back-off after the free failures: <see cref="ThrottlingOptions.FreeFailures"/> failures cost nothing,
/// the attempt after them waits <see cref="ThrottlingOptions.BaseDelay"/> from the last failure, each further
/// failure doubles that, never beyond <see cref="ThrottlingOptions.MaxDelay"/> — so the owner is never locked out
/// for longer.
/// </summary>
public static class LoginThrottle
{
    /// <summary>How long after the last of <paramref name="failures"/> failures the next attempt must wait.</summary>
    public static TimeSpan DelayAfter(int failures, ThrottlingOptions options)
    {
        // The last free failure is the one that arms the throttle: with 5 free, the 6th attempt already waits.
        var beyondFree = failures - options.FreeFailures;
        if (beyondFree < 0)
        {
            return TimeSpan.Zero;
        }

        // Cap the exponent before shifting: 2^30 seconds is far beyond any MaxDelay.
        var factor = 1L << Math.Min(beyondFree, 30);
        var delay = TimeSpan.FromTicks(Math.Min(options.BaseDelay.Ticks * factor, options.MaxDelay.Ticks));
        return delay;
    }

    /// <summary>How long the caller must still wait, or zero when a login may be attempted now.</summary>
    public static TimeSpan RetryAfter(int failures, DateTimeOffset? lastFailureAt, DateTimeOffset now, ThrottlingOptions options)
    {
        if (lastFailureAt is not { } last)
        {
            return TimeSpan.Zero;
        }

        var remaining = last + DelayAfter(failures, options) - now;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }
}
