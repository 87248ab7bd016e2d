using System.Collections.Concurrent;
using AuthCluster.Grains.Interfaces;
using Orleans.Core.Internal;

namespace AuthCluster.Tests.Grains;

/// <summary>
/// A revocation-feed shard that replaces a lost activation delivers to the nodes that subscribed with the lost one,
/// which may still trust their leases, instead of leaving them uninformed until those leases end.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RevocationFeedTests(ClusterFixture fixture)
{
    [Fact]
    public async Task NewActivation_DeliversToSubscribersOfTheLostOne_AndTellsThemToReconfirm()
    {
        // Arrange: a shard of the test's own (not one of the service's), one subscriber, then the activation is gone.
        var feed = fixture.Grains.GetGrain<IRevocationFeedGrain>(Random.Shared.Next(1_000, int.MaxValue));
        var node = new RecordingObserver();
        var reference = fixture.Cluster.Client.CreateObjectReference<IRevocationObserver>(node);
        Assert.False(await feed.Subscribe(reference));
        Assert.True(await feed.Subscribe(reference));
        await feed.Cast<IGrainManagementExtension>().DeactivateOnIdle();

        // Act: a revocation published to the next activation before the node has renewed with it.
        var sessionId = Guid.NewGuid();
        await feed.Publish(sessionId, DateTimeOffset.UtcNow.AddMinutes(15));

        // Assert: the node heard it, and its renewal says the subscription was broken (it must re-confirm sessions).
        Assert.Contains(sessionId, node.Heard.Keys);
        Assert.False(await feed.Subscribe(reference));
    }

    private sealed class RecordingObserver : IRevocationObserver
    {
        public ConcurrentDictionary<Guid, DateTimeOffset> Heard { get; } = new();

        public Task Revoked(Guid sessionId, DateTimeOffset until)
        {
            Heard[sessionId] = until;
            return Task.CompletedTask;
        }
    }
}
