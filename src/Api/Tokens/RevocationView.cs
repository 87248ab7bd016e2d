using System.Collections.Concurrent;
using System.Diagnostics;
using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Api.Tokens;

/// <summary>
/// This API node's view of the cluster's revocations, so that validation can answer from memory. The node holds a
/// lease on every shard of the revocation feed and renews it continuously; while every lease holds, it has been
/// told of every revocation published since its current <em>epoch</em> began. Whenever it cannot be sure of that —
/// just started, a renewal failed until a lease ran out, a shard forgot it (a lost silo) — the epoch moves on, and
/// validation asks each session's grain once more before it trusts memory again (<see cref="AccessTokenValidator"/>).
/// </summary>
public sealed partial class RevocationView(IGrainFactory grains, TimeProvider time, ILogger<RevocationView> logger) : BackgroundService, IRevocationObserver
{
    /// <summary>Forgetting revocations whose tokens have all expired: every so many renewals.</summary>
    private const int RenewalsPerSweep = 30;

    private static readonly long LeaseTicks = (long)(RevocationFeed.Lease.TotalSeconds * Stopwatch.Frequency);

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _revoked = new();
    private readonly long[] _leaseEnds = new long[RevocationFeed.Shards];
    private long _epoch;
    private int _failing;

    /// <summary>
    /// The current epoch while the node is sure it has every revocation published since that epoch began; null
    /// while it is not (validation then asks the session grain every time).
    /// </summary>
    public long? SureEpoch
    {
        get
        {
            var now = Stopwatch.GetTimestamp();
            var epoch = Volatile.Read(ref _epoch);
            for (var shard = 0; shard < _leaseEnds.Length; shard++)
            {
                if (Volatile.Read(ref _leaseEnds[shard]) <= now)
                {
                    return null;
                }
            }

            return epoch;
        }
    }

    public bool IsRevoked(Guid sessionId) => _revoked.ContainsKey(sessionId);

    public Task Revoked(Guid sessionId, DateTimeOffset until)
    {
        _revoked[sessionId] = until;
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RevocationFeed.Renewal);
        IRevocationObserver? self = null;
        var renewals = 0;
        do
        {
            try
            {
                // Kept for the node's life (Orleans holds observers only weakly); made once the client can.
                self ??= grains.CreateObjectReference<IRevocationObserver>(this);
            }
            catch (InvalidOperationException exception)
            {
                ReportFailure(-1, exception);
                continue;
            }

            await Task.WhenAll(Enumerable.Range(0, RevocationFeed.Shards).Select(shard => RenewAsync(shard, self)));
            if (++renewals % RenewalsPerSweep == 0)
            {
                ForgetExpired();
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RenewAsync(int shard, IRevocationObserver self)
    {
        // The lease counts from before the call: the feed counts it from receipt, later, so it never ends first here.
        var sent = Stopwatch.GetTimestamp();
        try
        {
            var unbroken = await grains.GetGrain<IRevocationFeedGrain>(shard).Subscribe(self).WaitAsync(RevocationFeed.Renewal);
            if (!unbroken || Volatile.Read(ref _leaseEnds[shard]) <= sent)
            {
                // Publications may have been missed: a new epoch, before the lease makes the node sure again.
                Interlocked.Increment(ref _epoch);
                LogNewEpoch(logger, shard);
            }

            Volatile.Write(ref _leaseEnds[shard], sent + LeaseTicks);
            Volatile.Write(ref _failing, 0);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The lease runs out on its own; until a renewal succeeds, validation asks the grains.
            ReportFailure(shard, exception);
        }
    }

    /// <summary>Logs the first failure of a run of them, not one per shard and second.</summary>
    private void ReportFailure(int shard, Exception exception)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            LogRenewalFailed(logger, shard, exception.GetType().Name);
        }
    }

    private void ForgetExpired()
    {
        var now = time.GetUtcNow();
        foreach (var (sessionId, until) in _revoked)
        {
            if (until <= now)
            {
                _revoked.TryRemove(new KeyValuePair<Guid, DateTimeOffset>(sessionId, until));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Revocation feed shard {Shard}: subscribed anew; sessions are confirmed with their grains again")]
    private static partial void LogNewEpoch(ILogger logger, int shard);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revocation feed (shard {Shard}): subscription failed ({Error}); validation asks the grains until it succeeds")]
    private static partial void LogRenewalFailed(ILogger logger, int shard, string error);
}
