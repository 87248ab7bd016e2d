using System.Text;
using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Passwords;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Customers;

public sealed class CustomerState : SessionOwnerState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>), for <c>[PersistentState]</c> and for whatever reads the rows directly.</summary>
    public const string StateName = "customer";

    /// <summary>
    /// AuthCluster's own hash; or, until the first login, one brought in by an import (<c>imported:…</c>, see
    /// <see cref="Passwords.ImportedPasswordHash"/>); or empty: imported without a password, none verifies until one
    /// is set through a reset.
    /// </summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>The shop's own id for the customer, kept from an import and handed back by export.</summary>
    public string? ExternalId { get; set; }

    /// <summary>
    /// Key (digest) of the one reset hash that may be used now; a newer request or any password change replaces or
    /// clears it. Its expiry is the reset grain's to keep.
    /// </summary>
    public string? ResetKey { get; set; }

    /// <summary>When an operator disabled the account; null while it may log in.</summary>
    public DateTimeOffset? DisabledAt { get; set; }
}

public sealed partial class CustomerGrain(
    [PersistentState(CustomerState.StateName, StorageNames.Auth)] IPersistentState<CustomerState> state,
    IPasswordHasher hasher,
    KeyEncryption encryption,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<CustomerGrain> logger,
    ILoggerFactory loggers) : SessionOwnerGrain<CustomerState>(state, options), ICustomerGrain
{
    private readonly ILogger _security = loggers.CreateLogger(SecurityEvents.Category);

    protected override CustomerType CustomerType => CustomerType.Registered;

    public async Task<SessionGrant> Create(long shopId, Profile profile, string password, ClientContext client, Guid sessionId)
    {
        if (State.RecordExists)
        {
            // The email index picks a fresh customer id per registration, so only a repeat of that registration gets
            // here (its answer was lost with a silo). It gets the first attempt's grant only if it is the same
            // request through and through: same profile, same first session and the password that was registered.
            if (!WasCreatedAs(shopId, profile, sessionId) || !(await hasher.VerifyAsync(password, State.State.PasswordHash)).Valid)
            {
                throw new AlreadyCreatedException("A customer id is never reused.");
            }

            return await StartSessionAndSaveAsync(client, sessionId);
        }

        Initialize(shopId, profile, time.GetUtcNow());
        State.State.PasswordHash = await hasher.HashAsync(password);
        return await StartSessionAndSaveAsync(client, sessionId);
    }

    public async Task<SessionGrant?> Login(string password, ClientContext client, Guid sessionId)
    {
        var candidates = PasswordText.LoginCandidates(password);

        // A disabled account costs and answers exactly what a wrong password does: the caller cannot tell them apart.
        if (!State.RecordExists || State.State.DisabledAt is not null)
        {
            await hasher.VerifyDummyAsync(candidates);
            return null;
        }

        var (check, upgrade) = await hasher.VerifyAsync(candidates, State.State.PasswordHash);
        if (check.Unreadable)
        {
            LogUnreadablePasswordHash(logger, this.GetPrimaryKey());
        }

        if (!check.Valid)
        {
            return null;
        }

        if (upgrade is not null)
        {
            // An imported hash, another cost or a password hashed before normalization: upgrade now that we hold
            // the password. The new hash is persisted by the same write that records the session.
            State.State.PasswordHash = upgrade;
            LogPasswordRehashed(logger, this.GetPrimaryKey());
        }

        // A repeat of this login (same session id: its answer was lost) checked the password again just now and
        // gets the same session, never a second one.
        return await StartSessionAndSaveAsync(client, sessionId);
    }

    public async Task StartPasswordReset(PasswordResetRequest request)
    {
        // Called one-way: nobody awaits the outcome, so failures are logged here rather than thrown.
        try
        {
            if (!State.RecordExists || State.State.DisabledAt is not null)
            {
                return;
            }

            var (hash, key) = ResetHashes.New();

            // The email is persisted for delivery before the hash becomes valid: a failure in between leaves
            // an email whose hash is refused, never a valid hash whose email nobody will send.
            await Reset(key).Create(new PasswordResetDelivery(
                this.GetPrimaryKey(), State.State.ShopId, State.State.Email, request.ResetUrl,
                encryption.Encrypt(Encoding.UTF8.GetBytes(hash), key), time.GetUtcNow() + Options.PasswordReset.HashLifetime));

            var superseded = State.State.ResetKey;
            State.State.ResetKey = key;
            await State.WriteOrDeactivateAsync(this);
            LogResetStarted(logger, this.GetPrimaryKey(), request.ClientId);

            if (superseded is not null)
            {
                await RetireQuietlyAsync(superseded);
            }
        }
        catch (Exception exception)
        {
            LogResetStartFailed(logger, exception.GetType().Name, this.GetPrimaryKey());
        }
    }

    public async Task<PasswordResetResult> CompletePasswordReset(string hashKey, string password, ClientContext client)
    {
        if (!State.RecordExists || !ResetHashes.KeysEqual(State.State.ResetKey, hashKey))
        {
            return PasswordResetResult.InvalidHash;
        }

        await SetPasswordAsync(password);

        // Whoever knew the old password (or held a stolen token) must not stay logged in.
        await RevokeAllSessionsAsync(RevocationReason.PasswordChanged);

        // Persists the new password, the cleared reset and the new session list in one write.
        var grant = await StartSessionAndSaveAsync(client, Guid.NewGuid());
        LogResetCompleted(logger, this.GetPrimaryKey(), client.ClientId);
        return PasswordResetResult.Succeeded(grant);
    }

    /// <summary>
    /// Every password change goes through here: it also invalidates any outstanding reset hash. Does not write.
    /// </summary>
    private async Task SetPasswordAsync(string password)
    {
        State.State.PasswordHash = await hasher.HashAsync(password);
        State.State.ResetKey = null;
    }

    /// <summary>
    /// Tells a superseded reset to stop delivering and forget itself (one-way). Best effort: the customer already
    /// refuses that hash, and an unretired reset is cleaned up when it expires.
    /// </summary>
    private async Task RetireQuietlyAsync(string key)
    {
        try
        {
            await Reset(key).Retire();
        }
        catch (Exception exception)
        {
            LogRetireFailed(logger, exception.GetType().Name, this.GetPrimaryKey());
        }
    }

    public async Task<CustomerRecord?> Describe(string actor)
    {
        if (!State.RecordExists)
        {
            return null;
        }

        var customer = State.State;
        var sessions = await Task.WhenAll(customer.Sessions.Select(id => Session(id).Describe()));
        LogCustomerRead(_security, this.GetPrimaryKey(), customer.ShopId, actor);
        return new CustomerRecord(
            this.GetPrimaryKey(),
            customer.ShopId,
            new Profile(customer.FirstName, customer.LastName, customer.Email, customer.Gender),
            customer.CreatedAt,
            customer.ExternalId,
            customer.PasswordHash switch
            {
                "" => PasswordKind.None,
                var hash when hash.StartsWith(ImportedPasswordHash.StoredPrefix, StringComparison.Ordinal) => PasswordKind.Imported,
                _ => PasswordKind.Set,
            },
            customer.DisabledAt,
            customer.ResetKey is not null,
            [.. sessions.OfType<SessionRecord>()]);
    }

    public async Task<int?> RevokeAllSessions(string actor)
    {
        if (!State.RecordExists)
        {
            return null;
        }

        var count = State.State.Sessions.Count;
        await RevokeAsync([.. State.State.Sessions], RevocationReason.RevokedByOperator);
        LogSessionsRevokedByOperator(_security, this.GetPrimaryKey(), State.State.ShopId, actor, count);
        return count;
    }

    public async Task<bool> SetDisabled(bool disabled, string actor)
    {
        if (!State.RecordExists)
        {
            return false;
        }

        if (!disabled)
        {
            // Sessions revoked by the disable stay revoked: the customer logs in again.
            State.State.DisabledAt = null;
            await State.WriteOrDeactivateAsync(this);
            LogEnabled(_security, this.GetPrimaryKey(), State.State.ShopId, actor);
            return true;
        }

        // Also when already disabled, so that a repeat mops up anything a failed first attempt left.
        State.State.DisabledAt ??= time.GetUtcNow();
        var superseded = State.State.ResetKey;
        State.State.ResetKey = null;
        await RevokeAllSessionsAsync(RevocationReason.CustomerDisabled);
        await State.WriteOrDeactivateAsync(this);
        LogDisabled(_security, this.GetPrimaryKey(), State.State.ShopId, actor);
        if (superseded is not null)
        {
            await RetireQuietlyAsync(superseded);
        }

        return true;
    }

    public async Task<bool> Erase(string actor)
    {
        if (!State.RecordExists)
        {
            return false;
        }

        var shopId = State.State.ShopId;
        var reset = State.State.ResetKey;

        // Sessions first: were the customer's row gone while one failed, nothing would lead to it any more.
        await Task.WhenAll(State.State.Sessions.Select(id => Session(id).Erase()));
        if (reset is not null)
        {
            // Drops the queued email with the address in it; it is refused from now on regardless.
            await Reset(reset).Retire();
        }

        try
        {
            await State.ClearStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }

        LogErased(_security, this.GetPrimaryKey(), shopId, actor);
        return true;
    }

    private IPasswordResetGrain Reset(string key) => GrainFactory.GetGrain<IPasswordResetGrain>(key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Customer {CustomerId} has a stored password hash that cannot be read (damaged, or refused by today's import limits); the customer must reset the password")]
    private static partial void LogUnreadablePasswordHash(ILogger logger, Guid customerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Password hash of customer {CustomerId} upgraded to the current scheme at login")]
    private static partial void LogPasswordRehashed(ILogger logger, Guid customerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Password reset started for customer {CustomerId} by client {ClientId}")]
    private static partial void LogResetStarted(ILogger logger, Guid customerId, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Password reset completed for customer {CustomerId} by client {ClientId}; all earlier sessions revoked")]
    private static partial void LogResetCompleted(ILogger logger, Guid customerId, string clientId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Password reset for customer {CustomerId} could not be started ({ExceptionType}); no email will be sent")]
    private static partial void LogResetStartFailed(ILogger logger, string exceptionType, Guid customerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retiring a reset hash of customer {CustomerId} failed ({ExceptionType}); it expires on its own")]
    private static partial void LogRetireFailed(ILogger logger, string exceptionType, Guid customerId);

    public Task<string?> CheckNewPassword(string password) => Task.FromResult(
        PasswordPolicy.CheckContext(password, PasswordPolicy.ContextWords(State.State.Email, State.State.FirstName, State.State.LastName)));
}
