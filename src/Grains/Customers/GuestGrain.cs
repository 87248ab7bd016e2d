using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Customers;

public sealed class GuestState : SessionOwnerState
{
    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    public string Email { get; set; } = "";
    public string? Gender { get; set; }
}

public sealed class GuestGrain(
    [PersistentState("guest", StorageNames.Auth)] IPersistentState<GuestState> state,
    IOptions<AuthOptions> options,
    TimeProvider time) : SessionOwnerGrain<GuestState>(state, options), IGuestGrain
{
    protected override CustomerType CustomerType => CustomerType.Guest;

    public async Task<SessionGrant> Create(long shopId, Profile profile, ClientContext client)
    {
        if (State.RecordExists)
        {
            // Only a repeated call can get here (callers pick a fresh id): its first attempt already created the guest.
            throw new AlreadyCreatedException("A guest id is never reused.");
        }

        State.State.ShopId = shopId;
        State.State.CreatedAt = time.GetUtcNow();
        State.State.FirstName = profile.FirstName;
        State.State.LastName = profile.LastName;
        State.State.Email = profile.Email.Trim();
        State.State.Gender = profile.Gender;
        return await StartSessionAndSaveAsync(client);
    }
}
