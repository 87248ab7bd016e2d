using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Customers;

public sealed class CustomerState : SessionOwnerState
{
    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    public string Email { get; set; } = "";
    public string? Gender { get; set; }
    public string PasswordHash { get; set; } = "";
}

public sealed class CustomerGrain(
    [PersistentState("customer", StorageNames.Auth)] IPersistentState<CustomerState> state,
    IPasswordHasher hasher,
    IOptions<AuthOptions> options,
    TimeProvider time) : SessionOwnerGrain<CustomerState>(state, options), ICustomerGrain
{
    protected override CustomerType CustomerType => CustomerType.Registered;

    public async Task<SessionGrant> Create(long shopId, Profile profile, string password, ClientContext client)
    {
        if (State.RecordExists)
        {
            throw new InvalidOperationException("A customer id is never reused.");
        }

        State.State.ShopId = shopId;
        State.State.CreatedAt = time.GetUtcNow();
        State.State.FirstName = profile.FirstName;
        State.State.LastName = profile.LastName;
        State.State.Email = profile.Email.Trim();
        State.State.Gender = profile.Gender;
        State.State.PasswordHash = await hasher.HashAsync(password);
        return await StartSessionAndSaveAsync(client);
    }

    public async Task<SessionGrant?> Login(string password, ClientContext client)
    {
        if (!State.RecordExists)
        {
            await hasher.VerifyDummyAsync(password);
            return null;
        }

        var check = await hasher.VerifyAsync(password, State.State.PasswordHash);
        if (!check.Valid)
        {
            return null;
        }

        if (check.NeedsRehash)
        {
            // The configured cost changed: upgrade the hash now that we hold the password.
            State.State.PasswordHash = await hasher.HashAsync(password);
        }

        return await StartSessionAndSaveAsync(client);
    }
}
