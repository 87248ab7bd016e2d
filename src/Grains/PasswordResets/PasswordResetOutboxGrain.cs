using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Logging;

namespace AuthCluster.Grains.PasswordResets;

public sealed class PasswordResetOutboxState
{
    /// <summary>Key of every reset hash with state, and when it expires.</summary>
    public Dictionary<string, DateTimeOffset> Live { get; set; } = [];

    /// <summary>Live resets whose email went out; not driven again until they expire.</summary>
    public HashSet<string> Delivered { get; set; } = [];
}

/// <summary>
/// Lists the live reset hashes, so that something drives them when nothing else would: after a silo restart
/// (single-node modes keep reminders in memory, so reminders do not survive it) and, once a minute, to retry
/// delivery on another silo and to clear expired hashes. One reminder for all, not one per hash.
/// Reset requests are rare next to logins, so one grain is enough.
/// </summary>
public sealed partial class PasswordResetOutboxGrain(
    [PersistentState("passwordresetoutbox", StorageNames.Auth)] IPersistentState<PasswordResetOutboxState> state,
    TimeProvider time,
    ILogger<PasswordResetOutboxGrain> logger) : Grain, IPasswordResetOutboxGrain, IRemindable
{
    private const string ReminderName = "drive-resets";

    /// <summary>How long after expiry an entry is kept if its grain never reports back (e.g. its storage failed).</summary>
    private static readonly TimeSpan ForgetAfterExpiry = TimeSpan.FromHours(1);

    private bool _reminderRegistered;

    public async Task Add(string resetKey, DateTimeOffset expiresAt)
    {
        state.State.Live[resetKey] = expiresAt;
        await state.WriteOrDeactivateAsync(this);
        await EnsureReminderAsync();
    }

    public async Task Remove(string resetKey)
    {
        state.State.Delivered.Remove(resetKey);
        if (!state.State.Live.Remove(resetKey))
        {
            return;
        }

        await state.WriteOrDeactivateAsync(this);
        if (state.State.Live.Count == 0)
        {
            // Nothing left to drive: no reason to wake every minute.
            if (await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminderRegistered = false;
        }
    }

    public async Task MarkDelivered(string resetKey)
    {
        if (state.State.Live.ContainsKey(resetKey) && state.State.Delivered.Add(resetKey))
        {
            await state.WriteOrDeactivateAsync(this);
        }
    }

    public async Task Resume()
    {
        if (state.State.Live.Count == 0)
        {
            return;
        }

        await EnsureReminderAsync();
        await DriveAllAsync();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => DriveAllAsync();

    private async Task DriveAllAsync()
    {
        var now = time.GetUtcNow();
        var stale = state.State.Live.Where(e => e.Value + ForgetAfterExpiry < now).Select(e => e.Key).ToList();
        foreach (var key in stale)
        {
            state.State.Live.Remove(key);
            state.State.Delivered.Remove(key);
        }

        if (stale.Count > 0)
        {
            await state.WriteOrDeactivateAsync(this);
        }

        // Delivered resets only need a visit once they have expired, to clear their state.
        foreach (var key in state.State.Live.Where(e => !state.State.Delivered.Contains(e.Key) || e.Value <= now).Select(e => e.Key).ToList())
        {
            // One-way: a reset grain busy with a slow provider call must not hold up the others (or us).
            await GrainFactory.GetGrain<IPasswordResetGrain>(key).Drive();
        }

        LogDriven(logger, state.State.Live.Count);
    }

    private async Task EnsureReminderAsync()
    {
        if (!_reminderRegistered)
        {
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            _reminderRegistered = true;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Drove {Count} live password reset(s)")]
    private static partial void LogDriven(ILogger logger, int count);
}
