namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// A signing key. The private key is encrypted (AES-GCM) with a key-encryption key (KEK) from configuration;
/// it is never stored or sent in the clear.
/// </summary>
/// <param name="KekId">
/// The id of the KEK that encrypted <paramref name="EncryptedPrivateKey"/>; null for keys written before KEKs had ids,
/// which are under the single <c>Auth:Signing:KeyEncryptionKey</c> (<see cref="KeyEncryption.ImplicitKekId"/>).
/// </param>
[GenerateSerializer, Immutable, Alias("AuthCluster.SigningKeyRecord")]
public sealed record SigningKeyRecord(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Algorithm,
    [property: Id(2)] byte[] EncryptedPrivateKey,
    [property: Id(3)] DateTimeOffset PublishedAt,
    [property: Id(4)] DateTimeOffset SignsFrom,
    [property: Id(5)] DateTimeOffset SignsUntil,
    [property: Id(6)] DateTimeOffset RetiresAt,
    [property: Id(7)] string? KekId = null)
{
    /// <summary>The KEK this key is encrypted under, naming the implicit one of keys written before KEKs had ids.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string EncryptedUnder => KekId ?? KeyEncryption.ImplicitKekId;
}

/// <summary>
/// The published keys of the ring at one <paramref name="Version"/>. The version grows with every change, so that a
/// node that hears of the ring twice (a push and a poll crossing) keeps the newer one.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SigningKeyRing")]
public sealed record SigningKeyRingVersion(
    [property: Id(0)] long Version,
    [property: Id(1)] IReadOnlyList<SigningKeyRecord> Keys);

/// <summary>Where a key is in its life, for <c>keys list</c>.</summary>
public enum SigningKeyStatus
{
    /// <summary>Signs new tokens now.</summary>
    Current = 0,

    /// <summary>In the JWKS ahead of its signing period.</summary>
    Published = 1,

    /// <summary>No longer signs; stays in the JWKS until every token it signed has expired.</summary>
    Retired = 2,

    /// <summary>Removed from the JWKS by an operator; its tokens are refused. Its private key is destroyed.</summary>
    Revoked = 3,
}

/// <summary>A key as <c>keys list</c> shows it: public facts only, never key material.</summary>
/// <param name="ExpiresAt">When it leaves the ring (its last token has expired), or left it, for a revoked key.</param>
[GenerateSerializer, Immutable, Alias("AuthCluster.SigningKeyInfo")]
public sealed record SigningKeyInfo(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Algorithm,
    [property: Id(2)] SigningKeyStatus Status,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset SignsFrom,
    [property: Id(5)] DateTimeOffset SignsUntil,
    [property: Id(6)] DateTimeOffset ExpiresAt,
    [property: Id(7)] string? KekId,
    [property: Id(8)] DateTimeOffset? RevokedAt);

/// <summary>The outcome of <c>keys rotate</c>.</summary>
/// <param name="NodesNotified">API nodes that had the new ring when the call returned.</param>
[GenerateSerializer, Immutable, Alias("AuthCluster.SigningKeyRotation")]
public sealed record SigningKeyRotation(
    [property: Id(0)] string CurrentKeyId,
    [property: Id(1)] string? PreviousKeyId,
    [property: Id(2)] int NodesNotified);

public enum SigningKeyRevocationOutcome
{
    Revoked = 0,
    NotFound = 1,
    AlreadyRevoked = 2,
}

/// <summary>The outcome of <c>keys revoke</c>.</summary>
/// <param name="NewCurrentKeyId">The key that took over signing, when the revoked key was the current one.</param>
/// <param name="NodesNotified">API nodes that had dropped the key when the call returned.</param>
[GenerateSerializer, Immutable, Alias("AuthCluster.SigningKeyRevocation")]
public sealed record SigningKeyRevocation(
    [property: Id(0)] SigningKeyRevocationOutcome Outcome,
    [property: Id(1)] string? NewCurrentKeyId,
    [property: Id(2)] int NodesNotified);

public enum KekRotationOutcome
{
    /// <summary>Every key of the ring is now encrypted under the silo's current KEK.</summary>
    Done = 0,

    /// <summary>The silo that holds the ring has another current KEK than the caller expected; nothing changed.</summary>
    CurrentKekMismatch = 1,

    /// <summary>A key is under a KEK the silo does not have; nothing changed.</summary>
    KekMissing = 2,
}

/// <summary>The outcome of <c>kek rotate</c>.</summary>
/// <param name="CurrentKekId">The silo's current KEK.</param>
/// <param name="Reencrypted">Keys that were under another KEK and are now under the current one.</param>
/// <param name="PreviousKekIds">The KEKs those keys were under: no key of the ring needs them any more.</param>
/// <param name="MissingKekIds">For <see cref="KekRotationOutcome.KekMissing"/>: the KEKs the silo lacks.</param>
[GenerateSerializer, Immutable, Alias("AuthCluster.KekRotation")]
public sealed record KekRotation(
    [property: Id(0)] KekRotationOutcome Outcome,
    [property: Id(1)] string CurrentKekId,
    [property: Id(2)] int Reencrypted,
    [property: Id(3)] IReadOnlyList<string> PreviousKekIds,
    [property: Id(4)] IReadOnlyList<string> MissingKekIds);
