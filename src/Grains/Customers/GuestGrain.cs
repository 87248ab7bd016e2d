using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Customers;

/// <summary>A guest has nothing beyond an owner's profile and sessions (no password, no reset).</summary>
public sealed class GuestState : SessionOwnerState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>), for <c>[PersistentState]</c> and for whatever reads the rows directly.</summary>
    public const string StateName = "guest";
}

public sealed class GuestGrain(
    [PersistentState(GuestState.StateName, StorageNames.Auth)] IPersistentState<GuestState> state,
    IOptions<AuthOptions> options,
    TimeProvider time) : SessionOwnerGrain<GuestState>(state, options), IGuestGrain
{
    protected override CustomerType CustomerType => CustomerType.Guest;

    public async Task<SessionGrant> Create(long shopId, Profile profile, ClientContext client, Guid sessionId)
    {
        if (State.RecordExists)
        {
            // Callers pick a fresh guest id per guest login, so only a repeat of that login gets here (its answer was
            // lost with a silo): the same grant again. Anything else finding this guest is refused.
            return WasCreatedAs(shopId, profile, sessionId)
                ? await StartSessionAndSaveAsync(client, sessionId)
                : throw new AlreadyCreatedException("A guest id is never reused.");
        }

        Initialize(shopId, profile, time.GetUtcNow());
        var grant = await StartSessionAndSaveAsync(client, sessionId);

        // A guest is called again only to log out or list its sessions, usually never: its session serves every
        // refresh. Out of memory at once rather than after Cluster:IdleDeactivation; a later call reads it back.
        DeactivateOnIdle();
        return grant;
    }
}
