using System.Diagnostics;

namespace AuthCluster.Tests.Infrastructure;

/// <summary>
/// Waits for a condition instead of sleeping for a guessed time: checks it often and gives up after a timeout,
/// so a test takes as long as the system needs and no longer. (Time-based rules are driven by a fake clock.)
/// </summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>True as soon as <paramref name="condition"/> holds; false if it still does not after the timeout.</summary>
    public static async Task<bool> TryUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > (timeout ?? DefaultTimeout))
            {
                return false;
            }

            await Task.Delay(Interval);
        }

        return true;
    }

    public static Task<bool> TryUntilAsync(Func<bool> condition, TimeSpan? timeout = null) =>
        TryUntilAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>Returns once <paramref name="condition"/> holds; throws, naming <paramref name="what"/>, after the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        if (!await TryUntilAsync(condition, timeout))
        {
            throw new TimeoutException($"Waited {timeout ?? DefaultTimeout} for {what}.");
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);
}
