using AuthCluster.Grains.Interfaces;
using Orleans.Concurrency;
using Orleans.Storage;

namespace AuthCluster.Grains.Sessions;

/// <summary>
/// A shard of the revocation feed. Leases live in memory; what matters survives elsewhere (a revoked session is
/// durable in its own grain; an API node confirms each token with its session once per unbroken subscription), so a
/// lost activation costs the nodes a re-confirmation, never a missed revocation.
/// Only the subscribers' identities are stored, before a first lease is granted to each: an activation that replaces
/// one lost with its silo delivers to every node the lost one may still have held a lease for, instead of waiting out
/// their leases — so a logout right after a silo loss is not held up by the lease. Publications interleave: each
/// waits only for the deliveries of its own revocation. Leases are elapsed time between processes, measured on the
/// system clock, never on an injected (test) clock.
/// </summary>
[Reentrant]
public sealed class RevocationFeedGrain(
    [PersistentState(RevocationFeedState.StateName, StorageNames.Auth)] IPersistentState<RevocationFeedState> state) : Grain, IRevocationFeedGrain
{
    /// <summary>How often a subscriber's entry is written again while it renews, so entries of departed nodes can go.</summary>
    private static readonly TimeSpan RecordEvery = TimeSpan.FromMinutes(1);

    /// <summary>An entry not written again for this long belongs to a node whose every lease has long ended.</summary>
    private static readonly TimeSpan ForgetAfter = 10 * RecordEvery;

    private static readonly TimeProvider Time = TimeProvider.System;

    private readonly Dictionary<IRevocationObserver, DateTimeOffset> _leases = [];
    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>Stored subscribers not yet renewed with this activation: they may hold leases of a lost one.</summary>
    private readonly HashSet<IRevocationObserver> _inherited = [];

    /// <summary>The entries known to be in storage, and when each was written: only these may hold a lease.</summary>
    private Dictionary<string, DateTimeOffset> _storedAt = [];

    private DateTimeOffset _activatedAt;

    private Dictionary<string, DateTimeOffset> Recorded => state.State.Subscribers;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = Time.GetUtcNow();
        foreach (var (id, recordedAt) in Recorded.ToList())
        {
            if (recordedAt + ForgetAfter <= _activatedAt)
            {
                Recorded.Remove(id);
            }
            else
            {
                _inherited.Add(GrainFactory.GetGrain<IRevocationObserver>(GrainId.Parse(id)));
            }
        }

        _storedAt = new Dictionary<string, DateTimeOffset>(Recorded);
        return Task.CompletedTask;
    }

    public Task Warm() => Task.CompletedTask;

    public async Task<bool> Subscribe(IRevocationObserver observer)
    {
        await RecordAsync(observer);
        var now = Time.GetUtcNow();
        var unbroken = _leases.TryGetValue(observer, out var until) && until > now;
        _leases[observer] = now + RevocationFeed.Lease;
        _inherited.Remove(observer);
        return unbroken;
    }

    public async Task Publish(Guid sessionId, DateTimeOffset until)
    {
        var now = Time.GetUtcNow();
        foreach (var expired in _leases.Where(l => l.Value <= now).Select(l => l.Key).ToList())
        {
            _leases.Remove(expired);
        }

        // A node that did not acknowledge still believes itself subscribed until its lease ends; an inherited one
        // until at most one lease after this activation began. Only then is the revocation safe.
        var deliveries = _leases.ToList().Select(lease => DeliverAsync(lease.Key, sessionId, until, lease.Value))
            .Concat(InheritedLeasesMayHold(now)
                ? _inherited.Select(observer => DeliverAsync(observer, sessionId, until, _activatedAt + RevocationFeed.Lease))
                : []);
        var waitUntil = (await Task.WhenAll(deliveries.ToList())).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        var wait = waitUntil - Time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, Time);
        }
    }

    private bool InheritedLeasesMayHold(DateTimeOffset now) => now < _activatedAt + RevocationFeed.Lease;

    /// <summary>Delivers one revocation; on failure drops the subscriber and returns when it may stop trusting its lease.</summary>
    private async Task<DateTimeOffset> DeliverAsync(IRevocationObserver observer, Guid sessionId, DateTimeOffset until, DateTimeOffset leaseEnd)
    {
        try
        {
            await observer.Revoked(sessionId, until).WaitAsync(RevocationFeed.DeliveryTimeout, Time);
            return DateTimeOffset.MinValue;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _leases.Remove(observer);
            return leaseEnd;
        }
    }

    /// <summary>
    /// Stores the subscriber before its first lease (failing the subscription when that cannot be done) and again
    /// every <see cref="RecordEvery"/>. A failed re-write is not retried for another <see cref="RecordEvery"/>: the
    /// entry stays stored and is forgotten only after <see cref="ForgetAfter"/> without one succeeding.
    /// </summary>
    private async Task RecordAsync(IRevocationObserver observer)
    {
        var id = observer.GetGrainId().ToString();
        if (IsFresh(id))
        {
            return;
        }

        await _writing.WaitAsync();
        var stored = _storedAt.ContainsKey(id);
        try
        {
            if (IsFresh(id))
            {
                return; // written meanwhile, with another subscriber's entry
            }

            Recorded[id] = Time.GetUtcNow();
            await state.WriteStateAsync();
            _storedAt = new Dictionary<string, DateTimeOffset>(Recorded);
        }
        catch (InconsistentStateException)
        {
            // Another activation wrote the entries (a duplicate during a partition): start over from storage.
            DeactivateOnIdle();
            throw;
        }
        catch (Exception exception) when (stored && exception is not OutOfMemoryException)
        {
            _storedAt[id] = Time.GetUtcNow();
        }
        finally
        {
            _writing.Release();
        }
    }

    private bool IsFresh(string id) => _storedAt.TryGetValue(id, out var at) && at + RecordEvery > Time.GetUtcNow();
}

/// <summary>The stored part of a revocation-feed shard: who subscribed, by observer grain id, and when last written.</summary>
public sealed class RevocationFeedState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>).</summary>
    public const string StateName = "revocation_feed";

    public Dictionary<string, DateTimeOffset> Subscribers { get; set; } = [];
}
