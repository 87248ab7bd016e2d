namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// The signing key ring of one issuer. Read by API nodes and cached; never called per request. API nodes subscribe
/// an <see cref="IKeyRingObserver"/> and hear of every change before an admin call that made it returns.
/// </summary>
[Alias("AuthCluster.ISigningKeyGrain")]
public interface ISigningKeyGrain : IGrainWithStringKey
{
    /// <summary>Rotates when due, then returns every key that is published now.</summary>
    [RetrySafe, Alias("GetKeyRing")]
    Task<IReadOnlyList<SigningKeyRecord>> GetKeyRing();

    /// <summary>
    /// Subscribes (or renews) an API node's observer for a few minutes and returns the ring as
    /// <see cref="GetKeyRing"/> does. Nodes renew well within that time; a node that stops renewing is forgotten.
    /// </summary>
    [RetrySafe, Alias("Subscribe")]
    Task<SigningKeyRingVersion> Subscribe(IKeyRingObserver observer);

    /// <summary>Every key of the ring and the revoked ones that would still be in it, for <c>keys list</c>.</summary>
    [Alias("ListKeys")]
    Task<IReadOnlyList<SigningKeyInfo>> ListKeys();

    /// <summary>A new key signs from now; the previous one stays published until its tokens have expired.</summary>
    [Alias("Rotate")]
    Task<SigningKeyRotation> Rotate(string actor);

    /// <summary>
    /// Removes a key from the ring and destroys its private key; every subscribed API node drops it before this returns.
    /// Revoking the current key first makes another one current (the published successor, or a new key).
    /// </summary>
    [Alias("Revoke")]
    Task<SigningKeyRevocation> Revoke(string keyId, string actor);

    /// <summary>
    /// Re-encrypts every key under the silo's current KEK. <paramref name="expectedKekId"/>, when given, must be that
    /// KEK's id, so that a half-rolled-out configuration cannot re-encrypt the ring under the wrong one.
    /// </summary>
    [Alias("ReencryptRing")]
    Task<KekRotation> ReencryptRing(string? expectedKekId, string actor);
}

/// <summary>An API node's ear for ring changes (rotation, revocation, re-encryption).</summary>
[Alias("AuthCluster.IKeyRingObserver")]
public interface IKeyRingObserver : IGrainObserver
{
    [Alias("RingChanged")]
    Task RingChanged(SigningKeyRingVersion ring);
}
