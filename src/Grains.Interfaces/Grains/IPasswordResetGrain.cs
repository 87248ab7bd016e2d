using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// One emailed reset hash, keyed by the hex SHA-256 digest of the hash (<c>ResetHashes.Key</c>). Persists the
/// pending email and delivers it, retrying until delivered or the hash expires; answers who the hash belongs to.
/// </summary>
[Alias("AuthCluster.IPasswordResetGrain")]
public interface IPasswordResetGrain : IGrainWithStringKey
{
    /// <summary>Persists the pending email, then starts delivering it (after this call returns).</summary>
    [Alias("Create")]
    Task Create(PasswordResetDelivery delivery);

    /// <summary>The owner of the hash while it is live and unused; null otherwise.</summary>
    [AlwaysInterleave, Alias("Lookup")]
    Task<PasswordResetTicket?> Lookup();

    /// <summary>Attempts delivery if it is due, or forgets the hash once it has expired. Idempotent.</summary>
    [OneWay, Alias("Drive")]
    Task Drive();

    /// <summary>
    /// The hash was used or superseded: stop delivering and forget it. One-way, so that the customer never waits
    /// behind a delivery attempt in flight (which may take as long as the provider's timeout).
    /// </summary>
    [OneWay, Alias("Retire")]
    Task Retire();
}
