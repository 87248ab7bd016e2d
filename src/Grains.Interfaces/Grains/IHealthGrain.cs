using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>Answers only when grain storage answers; used by readiness checks.</summary>
[Alias("AuthCluster.IHealthGrain")]
public interface IHealthGrain : IGrainWithIntegerKey
{
    [ReadOnly, Alias("CheckStorage")]
    Task CheckStorage();
}
