using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Grains;

public sealed class HealthState
{
    public int Unused { get; set; }
}

/// <summary>Reads its (usually absent) state from storage: a cheap, real round trip to the database.</summary>
public sealed class HealthGrain(
    [PersistentState("health", StorageNames.Auth)] IPersistentState<HealthState> state) : Grain, IHealthGrain
{
    public Task CheckStorage() => state.ReadStateAsync();
}
