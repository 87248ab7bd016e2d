using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Grains.Domain;

/// <summary>
/// Exponential back-off after the free failures: the first throttled attempt waits
/// <see cref="ThrottlingOptions.BaseDelay"/>, each further failure doubles it, never beyond
/// <see cref="ThrottlingOptions.MaxDelay"/> — so the owner is never locked out for longer.
/// </summary>
public static class LoginThrottle
{
    public static TimeSpan DelayAfter(int failures, ThrottlingOptions options)
    {
        var excess = failures - options.FreeFailures;
        if (excess <= 0)
        {
            return TimeSpan.Zero;
        }

        // Cap the exponent before shifting: 2^30 seconds is far beyond any MaxDelay.
        var factor = 1L << Math.Min(excess - 1, 30);
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
