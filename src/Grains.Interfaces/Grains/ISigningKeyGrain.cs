namespace AuthCluster.Grains.Interfaces;

/// <summary>The signing key ring of one issuer. Read by API nodes and cached; never called per request.</summary>
[Alias("AuthCluster.ISigningKeyGrain")]
public interface ISigningKeyGrain : IGrainWithStringKey
{
    /// <summary>Rotates when due, then returns every key that is published now.</summary>
    [RetrySafe, Alias("GetKeyRing")]
    Task<IReadOnlyList<SigningKeyRecord>> GetKeyRing();
}
