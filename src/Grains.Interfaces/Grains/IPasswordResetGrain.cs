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
    /// then the hash is spent, the password-changed notice sent and the customer's failed-login throttle cleared.
    /// A new password that contains the customer's name or email is refused first and leaves the hash usable.
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
    /// The hash was superseded: stop delivering and forget it. One-way, so that the customer never waits
    /// behind a delivery attempt in flight (which may take as long as the provider's timeout).
    /// </summary>
    [OneWay, Alias("Retire")]
    Task Retire();

    /// <summary>
    /// The hash was used: stop delivering the link and deliver the password-changed notice instead, through the
    /// same outbox. One-way, for the reason <see cref="Retire"/> is.
    /// </summary>
    [OneWay, Alias("Completed")]
    Task Completed();
}
