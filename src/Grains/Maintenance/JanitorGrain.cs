using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Maintenance;

/// <summary>Deletes grain state that no rule can need any more; storage-specific, so a port.</summary>
public interface IExpiredStateStore
{
    Task<int> DeleteAsync(ExpiryCutoffs cutoffs, CancellationToken cancellationToken);
}

/// <summary>
/// What a sweep deletes: sessions that expired before <see cref="Now"/> or were revoked before
/// <see cref="RevokedBefore"/>, guests created before <see cref="GuestsCreatedBefore"/> (every session of
/// theirs has ended), email rows without an account whose last failed login is older than
/// <see cref="ThrottleIdleSince"/>, and reset hashes that expired before <see cref="ResetsExpiredBefore"/>.
/// </summary>
public sealed record ExpiryCutoffs(
    DateTimeOffset Now,
    DateTimeOffset RevokedBefore,
    DateTimeOffset GuestsCreatedBefore,
    DateTimeOffset ThrottleIdleSince,
    DateTimeOffset ResetsExpiredBefore);

/// <summary>
/// One grain, one reminder: a sweep per hour is a single indexed-by-type delete per kind, instead of a
/// reminder or a bucket entry per row. Deleting a row behind an active grain is safe here: every deleted
/// kind is already inactive (an absent session is inactive), and a grain that later writes over a deleted
/// row gets an ETag conflict and reloads.
/// </summary>
public sealed partial class JanitorGrain(
    IExpiredStateStore store,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<JanitorGrain> logger) : Grain, IJanitorGrain, IRemindable
{
    private static readonly TimeSpan Period = TimeSpan.FromHours(1);

    // Revoked sessions are kept a day for audit; throttle rows a day after the last failure; expired reset hashes a
    // day, so that the outbox gives up on an undelivered one (and logs it) before its row goes.
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    public Task Start() => this.RegisterOrUpdateReminder("sweep", Period, Period);

    public async Task<int> Sweep()
    {
        var now = time.GetUtcNow();
        var deleted = await store.DeleteAsync(
            new ExpiryCutoffs(now, now - Retention, now - options.Value.Tokens.RefreshTokenLifetime, now - Retention, now - Retention),
            CancellationToken.None);
        LogSwept(logger, deleted);
        return deleted;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Sweep();

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired-state sweep deleted {Rows} rows")]
    private static partial void LogSwept(ILogger logger, int rows);
}
