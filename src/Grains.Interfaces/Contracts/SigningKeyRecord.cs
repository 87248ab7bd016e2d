namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// A signing key. The private key is encrypted (AES-GCM) with the key-encryption key from configuration;
/// it is never stored or sent in the clear.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SigningKeyRecord")]
public sealed record SigningKeyRecord(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Algorithm,
    [property: Id(2)] byte[] EncryptedPrivateKey,
    [property: Id(3)] DateTimeOffset PublishedAt,
    [property: Id(4)] DateTimeOffset SignsFrom,
    [property: Id(5)] DateTimeOffset SignsUntil,
    [property: Id(6)] DateTimeOffset RetiresAt);
