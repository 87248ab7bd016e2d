namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Deletes state that can no longer matter (expired or long-revoked sessions, guests past any session's
/// lifetime, throttle rows of emails without an account, expired reset hashes) on a reminder, so storage does
/// not grow for ever.
/// </summary>
[Alias("AuthCluster.IJanitorGrain")]
public interface IJanitorGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the periodic reminder; idempotent, called by every silo at start.</summary>
    [Alias("Start")]
    Task Start();

    /// <summary>Runs one sweep now and returns how many rows it deleted.</summary>
    [Alias("Sweep")]
    Task<int> Sweep();
}
