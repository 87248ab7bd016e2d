using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Logging;

namespace AuthCluster.Grains.PasswordResets;

public sealed class PasswordResetOutboxState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>), for <c>[PersistentState]</c> and for whatever reads the rows directly.</summary>
    public const string StateName = "passwordresetoutbox";

    /// <summary>Keys of the resets whose email has not gone out yet.</summary>
    public HashSet<string> Pending { get; set; } = [];
}

/// <summary>
/// Lists the resets with an email still to send, so that something drives them when nothing else would: after a
/// silo restart (single-node modes keep reminders in memory, so reminders do not survive it) and, once a minute,
/// to retry delivery on another silo and to give up on hashes that expired undelivered. One reminder for all, not
/// one per hash. A reset leaves the list when its grain says so (delivered, used, superseded, expired); one whose
/// state is gone leaves it on its next drive. Reset requests are rare next to logins, so one grain is enough.
/// </summary>
public sealed partial class PasswordResetOutboxGrain(
    [PersistentState(PasswordResetOutboxState.StateName, StorageNames.Auth)] IPersistentState<PasswordResetOutboxState> state,
    ILogger<PasswordResetOutboxGrain> logger) : Grain, IPasswordResetOutboxGrain, IRemindable
{
    private const string ReminderName = "drive-resets";

    private bool _reminderRegistered;

    public async Task AddPending(string resetKey)
    {
        if (state.State.Pending.Add(resetKey))
        {
            await state.WriteOrDeactivateAsync(this);
        }

        await EnsureReminderAsync();
    }

    public async Task Remove(string resetKey)
    {
        if (!state.State.Pending.Remove(resetKey))
        {
            return;
        }

        await state.WriteOrDeactivateAsync(this);
        if (state.State.Pending.Count == 0)
        {
            // Nothing left to drive: no reason to wake every minute.
            if (await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminderRegistered = false;
        }
    }

    public async Task Resume()
    {
        if (state.State.Pending.Count == 0)
        {
            return;
        }

        await EnsureReminderAsync();
        await DriveAllAsync();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => DriveAllAsync();

    private async Task DriveAllAsync()
    {
        foreach (var key in state.State.Pending.ToList())
        {
            // One-way: a reset grain busy with a slow provider call must not hold up the others (or us).
            await GrainFactory.GetGrain<IPasswordResetGrain>(key).Drive();
        }

        LogDriven(logger, state.State.Pending.Count);
    }

    private async Task EnsureReminderAsync()
    {
        if (!_reminderRegistered)
        {
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            _reminderRegistered = true;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Drove {Count} pending password reset(s)")]
    private static partial void LogDriven(ILogger logger, int count);
}
