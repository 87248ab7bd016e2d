namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// A reset hash that is about to be emailed. <see cref="ProtectedHash"/> is the hash encrypted with the
/// key-encryption key: durable delivery has to survive a restart, and the plaintext is never stored.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetDelivery")]
public sealed record PasswordResetDelivery(
    [property: Id(0)] Guid CustomerId,
    [property: Id(1)] long ShopId,
    [property: Id(2)] string Email,
    [property: Id(3)] string ResetUrl,
    [property: Id(4)] byte[] ProtectedHash,
    [property: Id(5)] DateTimeOffset ExpiresAt);
