using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Customers;

public sealed class EmailIndexState
{
    public Guid? CustomerId { get; set; }
    public int FailedLogins { get; set; }
    public DateTimeOffset? LastFailureAt { get; set; }
}

/// <summary>
/// Keyed <c>{shop_id}:{normalized email}</c>. Non-reentrant, so concurrent registrations of one email
/// queue here and the first reservation wins. Throttles failed logins for the key whether or not an
/// account exists, so neither a 401 nor a 429 tells an attacker which emails have accounts.
/// </summary>
public sealed class EmailIndexGrain(
    [PersistentState("emailindex", StorageNames.Auth)] IPersistentState<EmailIndexState> state,
    IPasswordHasher hasher,
    IOptions<AuthOptions> options,
    TimeProvider time) : Grain, IEmailIndexGrain
{
    private long ShopId => EmailAddress.ShopIdOf(this.GetPrimaryKeyString());

    public async Task<RegisterResult> Register(Profile profile, string password, ClientContext client)
    {
        if (state.State.CustomerId is not null)
        {
            return new RegisterResult(RegisterOutcome.EmailTaken, null);
        }

        // Create the account before reserving the email: a failure in between leaves an unreachable
        // customer row, never an email that is reserved for an account that does not exist.
        var customerId = Guid.NewGuid();
        var grant = await GrainFactory.GetGrain<ICustomerGrain>(customerId).Create(ShopId, profile, password, client);
        state.State.CustomerId = customerId;
        await state.WriteOrDeactivateAsync(this);
        return new RegisterResult(RegisterOutcome.Registered, grant);
    }

    public async Task<LoginResult> Login(string password, ClientContext client)
    {
        var throttling = options.Value.Throttling;
        var retryAfter = LoginThrottle.RetryAfter(state.State.FailedLogins, state.State.LastFailureAt, time.GetUtcNow(), throttling);
        if (retryAfter > TimeSpan.Zero)
        {
            return LoginResult.Throttled(retryAfter);
        }

        SessionGrant? grant = null;
        if (state.State.CustomerId is { } customerId)
        {
            grant = await GrainFactory.GetGrain<ICustomerGrain>(customerId).Login(password, client);
        }
        else
        {
            await hasher.VerifyDummyAsync(password);
        }

        if (grant is null)
        {
            state.State.FailedLogins++;
            state.State.LastFailureAt = time.GetUtcNow();
            await state.WriteOrDeactivateAsync(this);
            return LoginResult.Failed;
        }

        if (state.State.FailedLogins > 0)
        {
            state.State.FailedLogins = 0;
            state.State.LastFailureAt = null;
            await state.WriteOrDeactivateAsync(this);
        }

        return LoginResult.Succeeded(grant);
    }
}
