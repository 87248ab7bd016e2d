using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// The reset hashes whose email has not gone out yet (singleton, key 0): re-drives their delivery after a restart
/// and from a reminder, so that a pending email survives in-memory reminders being lost and is given up once its
/// hash expires. Holds keys only: the expiry belongs to the reset grain.
/// </summary>
[Alias("AuthCluster.IPasswordResetOutboxGrain")]
public interface IPasswordResetOutboxGrain : IGrainWithIntegerKey
{
    [Alias("AddPending")]
    Task AddPending(string resetKey);

    /// <summary>The reset needs no more driving: its email went out, or it was used, superseded, expired or given up.</summary>
    [OneWay, Alias("Remove")]
    Task Remove(string resetKey);

    /// <summary>Ensures the reminder is registered and drives every pending reset once; called when a silo starts.</summary>
    [Alias("Resume")]
    Task Resume();
}
