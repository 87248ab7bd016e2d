using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Grains;

public sealed class HealthState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>), for <c>[PersistentState]</c> and for whatever reads the rows directly.</summary>
    public const string StateName = "health";

    public int Unused { get; set; }
}

/// <summary>Reads its (usually absent) state from storage: a cheap, real round trip to the database.</summary>
public sealed class HealthGrain(
    [PersistentState(HealthState.StateName, StorageNames.Auth)] IPersistentState<HealthState> state) : Grain, IHealthGrain
{
    public Task CheckStorage() => state.ReadStateAsync();
}
