using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// One emailed reset hash, keyed by the hex SHA-256 digest of the hash (<see cref="Formats.ResetHashes"/>). Owns the
/// reset: persists the pending email and delivers it, retrying until delivered or the hash expires, holds the
/// hash's expiry, and completes the reset when the hash comes back.
/// </summary>
[Alias("AuthCluster.IPasswordResetGrain")]
public interface IPasswordResetGrain : IGrainWithStringKey
{
    /// <summary>Persists the pending email, then starts delivering it (after this call returns).</summary>
    [Alias("Create")]
    Task Create(PasswordResetDelivery delivery);

    /// <summary>
    /// Completes the reset when the hash is live and was issued for <paramref name="shopId"/>: the customer sets the
    /// new password, revokes every session and starts a new one (of two concurrent uses exactly one wins there);
    /// then the hash is retired and the customer's failed-login throttle cleared.
    /// </summary>
    /// <remarks>
    /// Interleaves, so that it never waits behind a delivery attempt in flight (which may take as long as the
    /// provider's timeout); it only reads this grain's state, and leaves every change to one-way calls.
    /// </remarks>
    [AlwaysInterleave, Alias("Complete")]
    Task<PasswordResetResult> Complete(long shopId, string password, ClientContext client);

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
