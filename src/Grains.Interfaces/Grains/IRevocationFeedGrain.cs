namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// One shard of the cluster-wide revocation feed, keyed 0 … <see cref="RevocationFeed.Shards"/> − 1 by session
/// id. API nodes subscribe with a lease and are told of every revocation while it holds; a revoking session grain
/// publishes before it answers its caller, and the publication returns only once every node that may still believe
/// itself subscribed has the revocation — or can no longer believe it (its lease ran out).
/// </summary>
[Alias("AuthCluster.IRevocationFeedGrain")]
public interface IRevocationFeedGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Subscribes or renews for <see cref="RevocationFeed.Lease"/> from the call's receipt. Returns whether this
    /// activation already held an unbroken subscription for <paramref name="observer"/>; if not, the node may have
    /// missed publications and must not trust what it remembers from before.
    /// </summary>
    [Alias("Subscribe")]
    Task<bool> Subscribe(IRevocationObserver observer);

    /// <summary>Tells every subscriber that <paramref name="sessionId"/>'s tokens are void until <paramref name="until"/>.</summary>
    [Alias("Publish")]
    Task Publish(Guid sessionId, DateTimeOffset until);

    /// <summary>Activates the shard, so that its start-up wait is over before the first revocation needs it.</summary>
    [Alias("Warm")]
    Task Warm();
}

/// <summary>An API node's ear on the revocation feed.</summary>
[Alias("AuthCluster.IRevocationObserver")]
public interface IRevocationObserver : IGrainObserver
{
    [Alias("Revoked")]
    Task Revoked(Guid sessionId, DateTimeOffset until);
}

/// <summary>The feed's fixed parameters, shared by publishers, the feed and API nodes.</summary>
public static class RevocationFeed
{
    /// <summary>Shards spread publications over silos, so no single grain carries every logout.</summary>
    public const int Shards = 8;

    /// <summary>
    /// How long a subscription holds without renewal. It bounds how long a publication can wait for an API node
    /// that stopped answering (or for subscriptions a failed silo's feed held) before it may return.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    /// <summary>How often a node renews (a quarter of the lease: three renewals may fail before it lapses).</summary>
    public static readonly TimeSpan Renewal = Lease / 4;

    /// <summary>How long a publication waits for one node's acknowledgement before waiting out its lease instead.</summary>
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(0.5);

    public static IRevocationFeedGrain ShardOf(IGrainFactory grains, Guid sessionId) =>
        grains.GetGrain<IRevocationFeedGrain>((uint)sessionId.GetHashCode() % Shards);
}
