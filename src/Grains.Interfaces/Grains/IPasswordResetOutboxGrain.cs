using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// The live reset hashes (singleton, key 0): re-drives their delivery after a restart and from a reminder,
/// so that a pending email survives in-memory reminders being lost and is eventually cleaned up.
/// </summary>
[Alias("AuthCluster.IPasswordResetOutboxGrain")]
public interface IPasswordResetOutboxGrain : IGrainWithIntegerKey
{
    [Alias("Add")]
    Task Add(string resetKey, DateTimeOffset expiresAt);

    [OneWay, Alias("Remove")]
    Task Remove(string resetKey);

    /// <summary>The email went out: from now on the reset needs driving only once, to be cleaned up after expiry.</summary>
    [OneWay, Alias("MarkDelivered")]
    Task MarkDelivered(string resetKey);

    /// <summary>Ensures the reminder is registered and drives every live reset once; called when a silo starts.</summary>
    [Alias("Resume")]
    Task Resume();
}
