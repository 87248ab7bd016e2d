using AuthCluster.Grains.Interfaces;
using Orleans.Concurrency;

namespace AuthCluster.Grains.Sessions;

/// <summary>
/// A shard of the revocation feed, in memory only: what matters survives elsewhere (a revoked session is durable
/// in its own grain; an API node confirms each token with its session once per unbroken subscription), so a lost
/// activation costs the nodes a re-confirmation, never a missed revocation.
/// Publications interleave: each waits only for the deliveries of its own revocation. Leases are elapsed time
/// between processes, measured on the system clock, never on an injected (test) clock.
/// </summary>
[Reentrant]
public sealed class RevocationFeedGrain : Grain, IRevocationFeedGrain
{
    private static readonly TimeProvider Time = TimeProvider.System;

    private readonly Dictionary<IRevocationObserver, DateTimeOffset> _leases = [];
    private DateTimeOffset _activatedAt;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = Time.GetUtcNow();
        return Task.CompletedTask;
    }

    public Task Warm() => Task.CompletedTask;

    public Task<bool> Subscribe(IRevocationObserver observer)
    {
        var now = Time.GetUtcNow();
        var unbroken = _leases.TryGetValue(observer, out var until) && until > now;
        _leases[observer] = now + RevocationFeed.Lease;
        return Task.FromResult(unbroken);
    }

    public async Task Publish(Guid sessionId, DateTimeOffset until)
    {
        var now = Time.GetUtcNow();
        foreach (var expired in _leases.Where(l => l.Value <= now).Select(l => l.Key).ToList())
        {
            _leases.Remove(expired);
        }

        var deliveries = _leases.Keys.ToList().Select(observer => DeliverAsync(observer, sessionId, until));
        var waitUntil = (await Task.WhenAll(deliveries)).Append(WhenEarlierSubscriptionsEnd()).Max();

        // A node that did not acknowledge still believes itself subscribed until its lease ends; so may nodes that
        // subscribed with an activation of this shard that has since been lost. Only then is the revocation safe.
        var wait = waitUntil - Time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, Time);
        }
    }

    /// <summary>Delivers one revocation; on failure drops the subscriber and returns when its lease ends.</summary>
    private async Task<DateTimeOffset> DeliverAsync(IRevocationObserver observer, Guid sessionId, DateTimeOffset until)
    {
        try
        {
            await observer.Revoked(sessionId, until).WaitAsync(RevocationFeed.DeliveryTimeout, Time);
            return DateTimeOffset.MinValue;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            var leaseEnd = _leases.GetValueOrDefault(observer);
            _leases.Remove(observer);
            return leaseEnd;
        }
    }

    private DateTimeOffset WhenEarlierSubscriptionsEnd() => _activatedAt + RevocationFeed.Lease;
}
