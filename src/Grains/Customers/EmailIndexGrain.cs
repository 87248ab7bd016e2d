using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Customers;

public sealed class EmailIndexState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>), for <c>[PersistentState]</c> and for whatever reads the rows directly.</summary>
    public const string StateName = "emailindex";

    public Guid? CustomerId { get; set; }
    public int FailedLogins { get; set; }
    public DateTimeOffset? LastFailureAt { get; set; }

    /// <summary>
    /// The session id of the last login that failed here: a repeat of that very login (its answer was lost with a
    /// silo) answers the same without counting the failure twice.
    /// </summary>
    public Guid? LastFailedLogin { get; set; }

    /// <summary>Reset emails requested in the current window (counted whether or not an account exists).</summary>
    public int ResetRequests { get; set; }

    public DateTimeOffset? ResetWindowStart { get; set; }
}

/// <summary>
/// Keyed <c>{shop_id}:{normalized email}</c>. Non-reentrant, so concurrent registrations of one email
/// queue here and the first reservation wins. Throttles failed logins for the key whether or not an
/// account exists, so neither a 401 nor a 429 tells an attacker which emails have accounts.
/// </summary>
public sealed partial class EmailIndexGrain(
    [PersistentState(EmailIndexState.StateName, StorageNames.Auth)] IPersistentState<EmailIndexState> state,
    IPasswordHasher hasher,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<EmailIndexGrain> logger,
    ILoggerFactory loggers) : Grain, IEmailIndexGrain
{
    private readonly ILogger _security = loggers.CreateLogger(SecurityEvents.Category);

    private long ShopId => EmailAddress.ShopIdOf(this.GetPrimaryKeyString());

    public async Task<RegisterResult> Register(Profile profile, string password, ClientContext client, Guid customerId, Guid sessionId)
    {
        // The caller picks both ids afresh for each registration, so the same customer id here means a repeat of the
        // registration that reserved it (its answer was lost with a silo): it gets the first attempt's outcome, which
        // the customer grain hands out again only for the same profile, session and password. Any other registration
        // of a taken address is refused as always.
        if (state.State.CustomerId is { } reserved && reserved != customerId)
        {
            return new RegisterResult(RegisterOutcome.EmailTaken, null);
        }

        // Create the account before reserving the email: a failure in between leaves an unreachable
        // customer row (which a repeat with the same ids completes), never an email that is reserved for an
        // account that does not exist.
        var grant = await GrainFactory.GetGrain<ICustomerGrain>(customerId).Create(ShopId, profile, password, client, sessionId);
        if (state.State.CustomerId is null)
        {
            state.State.CustomerId = customerId;
            await state.WriteOrDeactivateAsync(this);
        }

        return new RegisterResult(RegisterOutcome.Registered, grant);
    }

    public async Task<LoginResult> Login(string password, ClientContext client, Guid sessionId)
    {
        if (state.State.LastFailedLogin == sessionId)
        {
            // A repeat of the login that failed last (same session id): the same answer, counted once.
            return LoginResult.Failed;
        }

        var throttling = options.Value.Throttling;
        var retryAfter = LoginThrottle.RetryAfter(state.State.FailedLogins, state.State.LastFailureAt, time.GetUtcNow(), throttling);
        if (retryAfter > TimeSpan.Zero)
        {
            return LoginResult.Throttled(retryAfter);
        }

        SessionGrant? grant = null;
        if (state.State.CustomerId is { } customerId)
        {
            grant = await GrainFactory.GetGrain<ICustomerGrain>(customerId).Login(password, client, sessionId);
        }
        else
        {
            await hasher.VerifyDummyAsync(PasswordText.LoginCandidates(password));
        }

        if (grant is null)
        {
            state.State.FailedLogins++;
            state.State.LastFailureAt = time.GetUtcNow();
            state.State.LastFailedLogin = sessionId;
            await state.WriteOrDeactivateAsync(this);
            return LoginResult.Failed;
        }

        await ClearLoginThrottle();
        return LoginResult.Succeeded(grant);
    }

    public async Task RequestPasswordReset(PasswordResetRequest request)
    {
        var limits = options.Value.PasswordReset;
        var now = time.GetUtcNow();
        if (state.State.ResetWindowStart is not { } start || now - start >= limits.RequestWindow)
        {
            state.State.ResetWindowStart = now;
            state.State.ResetRequests = 0;
        }

        state.State.ResetRequests++;

        // The same single write for every key, account or not: the caller's latency must not tell them apart.
        await state.WriteOrDeactivateAsync(this);

        var limited = state.State.ResetRequests > limits.MaxEmailsPerWindow;
        LogResetRequested(_security, ShopId, request.ClientId, state.State.CustomerId, limited);
        if (limited)
        {
            LogResetLimited(logger, ShopId, limits.MaxEmailsPerWindow, limits.RequestWindow);
            return;
        }

        if (state.State.CustomerId is { } customerId)
        {
            // One-way: returns as soon as the message is queued, without waiting for the customer.
            await GrainFactory.GetGrain<ICustomerGrain>(customerId).StartPasswordReset(request);
        }
    }

    public Task<EmailIndexRecord> Describe()
    {
        var index = state.State;
        var retryAfter = LoginThrottle.RetryAfter(index.FailedLogins, index.LastFailureAt, time.GetUtcNow(), options.Value.Throttling);
        return Task.FromResult(new EmailIndexRecord(
            index.CustomerId, index.FailedLogins, index.LastFailureAt,
            retryAfter > TimeSpan.Zero ? index.LastFailureAt + LoginThrottle.DelayAfter(index.FailedLogins, options.Value.Throttling) : null,
            index.ResetRequests, index.ResetWindowStart));
    }

    public async Task<bool> EraseCustomer(Guid customerId, string actor)
    {
        // The account goes first: should releasing the address fail, the erase is simply run again, whereas a
        // released address in front of a surviving account could be registered by someone else meanwhile.
        var existed = await GrainFactory.GetGrain<ICustomerGrain>(customerId).Erase(actor);
        if (state.State.CustomerId is { } reserved && reserved != customerId)
        {
            return existed;
        }

        if (state.RecordExists)
        {
            // An empty entry rather than a cleared one: the expiry sweep deletes empty entries with their row, whose
            // key is the address, while a cleared row would keep that key as a tombstone for ever.
            // Deactivating afterwards means the next call reads storage afresh, so this activation's ETag does not
            // outlive the row once the sweep has deleted it.
            state.State = new EmailIndexState();
            await state.WriteOrDeactivateAsync(this);
            DeactivateOnIdle();
        }

        return existed;
    }

    public async Task ClearLoginThrottle()
    {
        if (state.State.FailedLogins > 0 || state.State.LastFailureAt is not null || state.State.LastFailedLogin is not null)
        {
            state.State.FailedLogins = 0;
            state.State.LastFailureAt = null;
            state.State.LastFailedLogin = null;
            await state.WriteOrDeactivateAsync(this);
        }
    }
}
