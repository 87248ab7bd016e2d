using System.Text;
using AuthCluster.Grains.Email;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.PasswordResets;

public sealed class PasswordResetState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>), for <c>[PersistentState]</c> and for whatever reads the rows directly.</summary>
    public const string StateName = "passwordreset";

    public Guid CustomerId { get; set; }
    public long ShopId { get; set; }
    public string Email { get; set; } = "";
    public string ResetUrl { get; set; } = "";

    /// <summary>The hash, encrypted with the key-encryption key; dropped as soon as the email is delivered.</summary>
    public byte[]? ProtectedHash { get; set; }

    public string MessageId { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// When the hash stops working: the one place a reset's expiry is kept. Once the reset is completed, when
    /// delivery of the password-changed notice is given up.
    /// </summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>
    /// When the hash was used. From then on the hash is refused and the email this state delivers is the
    /// password-changed notice (<see cref="MessageId"/> is the notice's).
    /// </summary>
    public DateTimeOffset? CompletedAt { get; set; }
    public int FailedAttempts { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
}

/// <summary>
/// One reset hash, keyed by its digest, and its two emails: the link, then — once the hash is used — the notice that
/// the password was changed. Delivery is at least once: the pending email is persisted before the first attempt, a
/// grain timer retries with back-off while the grain is active, and the outbox re-drives it after a restart and
/// once a minute (reminder). It gives up only when the hash (or the notice's delivery window) expires, or the
/// provider rejects the message for good. The state is cleared when the hash is superseded, when the notice is
/// delivered, or by the expiry sweep (or an undelivered email's last drive) once it has expired.
/// </summary>
public sealed partial class PasswordResetGrain(
    [PersistentState(PasswordResetState.StateName, StorageNames.Auth)] IPersistentState<PasswordResetState> state,
    IEmailSender sender,
    KeyEncryption encryption,
    IOptions<EmailOptions> email,
    TimeProvider time,
    ILogger<PasswordResetGrain> logger,
    ILoggerFactory loggers) : Grain, IPasswordResetGrain
{
    private readonly ILogger _security = loggers.CreateLogger(SecurityEvents.Category);
    private IGrainTimer? _retry;

    private PasswordResetState Reset => state.State;

    private string Key => this.GetPrimaryKeyString();

    private IPasswordResetOutboxGrain Outbox => GrainFactory.GetGrain<IPasswordResetOutboxGrain>(0);

    public async Task Create(PasswordResetDelivery delivery)
    {
        if (state.RecordExists)
        {
            // 256-bit random keys do not collide; a repeated call is a retry of this very creation.
            return;
        }

        // Listed first: a failure after this leaves an outbox entry without state, which Drive cleans up;
        // the reverse order could leave a pending email that nothing re-drives after a restart.
        await Outbox.AddPending(Key);
        state.State = new PasswordResetState
        {
            CustomerId = delivery.CustomerId,
            ShopId = delivery.ShopId,
            Email = delivery.Email,
            ResetUrl = delivery.ResetUrl,
            ProtectedHash = delivery.ProtectedHash,
            MessageId = Guid.NewGuid().ToString("N"),
            CreatedAt = time.GetUtcNow(),
            ExpiresAt = delivery.ExpiresAt,
        };
        await state.WriteOrDeactivateAsync(this);

        // A one-way call to ourselves runs after this call returns: the caller never waits for the provider.
        await this.AsReference<IPasswordResetGrain>().Drive();
    }

    public async Task<PasswordResetResult> Complete(long shopId, string password, ClientContext client)
    {
        // Everything needed is read before the first await: other calls may interleave from there on.
        if (!state.RecordExists || Reset.CompletedAt is not null || time.GetUtcNow() >= Reset.ExpiresAt || Reset.ShopId != shopId)
        {
            return PasswordResetResult.InvalidHash;
        }

        var customerId = Reset.CustomerId;
        var indexKey = EmailAddress.StoredIndexKey(Reset.ShopId, Reset.Email);
        var customer = GrainFactory.GetGrain<ICustomerGrain>(customerId);

        // Before the customer sees the hash: a rejected password leaves it usable, as the API's own checks do.
        if (await customer.CheckNewPassword(password) is { } problem)
        {
            return PasswordResetResult.PasswordRejected(problem);
        }

        var result = await customer.CompletePasswordReset(Key, password, client);
        if (result.Outcome == PasswordResetOutcome.Success)
        {
            LogResetCompleted(_security, customerId, shopId, client.ClientId, client.Ip);
            LogPasswordChanged(_security, customerId, shopId, client.ClientId, client.Ip);

            // One-way to ourselves: runs after any delivery attempt in flight, never concurrently with it.
            await this.AsReference<IPasswordResetGrain>().Completed();
            await ClearLoginThrottleAsync(indexKey, shopId);
        }

        return result;
    }

    public Task Drive() => DriveAsync();

    // A superseded hash is forgotten; a used one is not, as its password-changed notice may still be on its way.
    public Task Retire() => state.RecordExists && Reset.CompletedAt is not null ? Task.CompletedTask : ForgetAsync();

    public async Task Completed()
    {
        if (!state.RecordExists || Reset.CompletedAt is not null)
        {
            return;
        }

        // The link's email is dropped, delivered or not: the hash is spent, and the notice replaces it.
        DisposeRetry();
        var now = time.GetUtcNow();
        await Outbox.AddPending(Key);
        Reset.CompletedAt = now;
        Reset.ProtectedHash = null;
        Reset.ResetUrl = "";
        Reset.MessageId = Guid.NewGuid().ToString("N");
        Reset.CreatedAt = now;
        Reset.ExpiresAt = now + PasswordChangedEmail.DeliveryWindow;
        Reset.FailedAttempts = 0;
        Reset.LastAttemptAt = null;
        Reset.DeliveredAt = null;
        await state.WriteOrDeactivateAsync(this);
        await DriveAsync();
    }

    private async Task DriveAsync()
    {
        if (!state.RecordExists)
        {
            await Outbox.Remove(Key);
            DeactivateOnIdle();
            return;
        }

        var now = time.GetUtcNow();
        if (now >= Reset.ExpiresAt)
        {
            if (Reset.DeliveredAt is null)
            {
                LogAbandonedExpired(logger, Kind, Reset.MessageId, Reset.ShopId, Reset.FailedAttempts);
            }

            await ForgetAsync();
            return;
        }

        if (Reset.DeliveredAt is not null)
        {
            return;
        }

        var due = (Reset.LastAttemptAt ?? now) + email.Value.Retry.DelayAfter(Reset.FailedAttempts);
        if (due > now)
        {
            ScheduleRetry(due - now);
            return;
        }

        await AttemptAsync(now);
    }

    private async Task AttemptAsync(DateTimeOffset now)
    {
        EmailMessage message;
        try
        {
            message = Reset.CompletedAt is { } changedAt
                ? PasswordChangedEmail.Render(email.Value.Templates, Reset.ShopId, Reset.MessageId, Reset.Email, changedAt)
                : ResetEmail.Render(email.Value.Templates, Reset.ShopId, Reset.MessageId, Reset.Email,
                    ResetEmail.Link(Reset.ResetUrl, Encoding.UTF8.GetString(encryption.Decrypt(Reset.ProtectedHash ?? [], Key))),
                    Reset.ExpiresAt - Reset.CreatedAt);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // The key-encryption key changed since the request: this email can never be built again.
            LogUndecryptable(logger, Reset.MessageId, Reset.ShopId);
            await ForgetAsync();
            return;
        }

        EmailSendOutcome outcome;
        try
        {
            outcome = await sender.SendAsync(message);
        }
        catch (Exception exception)
        {
            // An adapter bug or an unexpected transport failure: keep the email and retry.
            LogSenderFailed(logger, exception.GetType().Name, Reset.MessageId);
            outcome = EmailSendOutcome.Transient;
        }

        switch (outcome)
        {
            case EmailSendOutcome.Delivered when Reset.CompletedAt is not null:
                // The notice was the last thing this hash had to do.
                LogDelivered(logger, Kind, Reset.MessageId, Reset.ShopId, Reset.FailedAttempts + 1);
                await ForgetAsync();
                break;

            case EmailSendOutcome.Delivered:
                Reset.DeliveredAt = now;
                Reset.ProtectedHash = null;
                await state.WriteOrDeactivateAsync(this);
                DisposeRetry();
                await Outbox.Remove(Key);
                LogDelivered(logger, Kind, Reset.MessageId, Reset.ShopId, Reset.FailedAttempts + 1);
                break;

            case EmailSendOutcome.Rejected:
                LogRejected(logger, Kind, Reset.MessageId, Reset.ShopId);
                await ForgetAsync();
                break;

            default:
                Reset.FailedAttempts++;
                Reset.LastAttemptAt = now;
                await state.WriteOrDeactivateAsync(this);
                var delay = email.Value.Retry.DelayAfter(Reset.FailedAttempts);
                LogWillRetry(logger, Kind, Reset.MessageId, Reset.ShopId, Reset.FailedAttempts, outcome, delay);
                ScheduleRetry(delay);
                break;
        }
    }

    /// <summary>
    /// Best effort: the password is already changed and the new session started, so a failure here must not turn
    /// the reset into an error; the throttle then simply runs out on its own (at most its configured maximum).
    /// </summary>
    private async Task ClearLoginThrottleAsync(string indexKey, long shopId)
    {
        try
        {
            await GrainFactory.GetGrain<IEmailIndexGrain>(indexKey).ClearLoginThrottle();
        }
        catch (Exception exception)
        {
            LogThrottleNotCleared(logger, exception, shopId);
        }
    }

    /// <summary>Which of the two emails this state is delivering, for the logs.</summary>
    private string Kind => Reset.CompletedAt is null ? "Password reset" : "Password-changed notice";

    private void ScheduleRetry(TimeSpan delay)
    {
        if (time.GetUtcNow() + delay >= Reset.ExpiresAt)
        {
            // The outbox's reminder comes by after expiry and clears the state.
            DisposeRetry();
            return;
        }

        DisposeRetry();

        // KeepAlive: an idle activation would otherwise be collected and the quick retry lost until the next
        // reminder tick. The timer does not interleave with calls, so state changes stay single-threaded.
        _retry = this.RegisterGrainTimer(
            _ => DriveAsync(),
            new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private void DisposeRetry()
    {
        _retry?.Dispose();
        _retry = null;
    }

    private async Task ForgetAsync()
    {
        DisposeRetry();
        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }

        await Outbox.Remove(Key);
        DeactivateOnIdle();
    }
}
