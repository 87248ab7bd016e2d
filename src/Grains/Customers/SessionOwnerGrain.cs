using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Customers;

/// <summary>What every session owner stores: its shop, its profile and the ids of its sessions, oldest first.</summary>
public abstract class SessionOwnerState
{
    public long ShopId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    public string Email { get; set; } = "";
    public string? Gender { get; set; }
    public List<Guid> Sessions { get; set; } = [];
}

/// <summary>
/// Session bookkeeping shared by customers and guests. Owners call their sessions, never the reverse,
/// so the call graph stays acyclic.
/// </summary>
public abstract class SessionOwnerGrain<TState>(
    IPersistentState<TState> state,
    IOptions<AuthOptions> options) : Grain, ISessionOwnerGrain
    where TState : SessionOwnerState, new()
{
    protected IPersistentState<TState> State => state;

    protected AuthOptions Options => options.Value;

    protected abstract CustomerType CustomerType { get; }

    public async Task<IReadOnlyList<SessionInfo>> GetSessions()
    {
        var infos = await Task.WhenAll(state.State.Sessions.Select(id => Session(id).GetInfo()));

        // Forget ended sessions in memory; the next write persists the shorter list.
        state.State.Sessions.RemoveAll(id => !infos.Any(i => i?.Id == id));
        return [.. infos.OfType<SessionInfo>()];
    }

    public async Task<bool> RevokeSession(Guid sessionId, RevocationReason reason)
    {
        if (!state.State.Sessions.Contains(sessionId) || !await Session(sessionId).IsActive())
        {
            return false;
        }

        await RevokeAsync([sessionId], reason);
        return true;
    }

    public Task Logout(Guid currentSessionId, LogoutScope scope)
    {
        List<Guid> selected = scope switch
        {
            LogoutScope.Local => [currentSessionId],
            LogoutScope.Others => [.. state.State.Sessions.Where(id => id != currentSessionId)],
            LogoutScope.Global => [.. state.State.Sessions.Append(currentSessionId).Distinct()],
            _ => throw new ArgumentOutOfRangeException(nameof(scope)),
        };
        return RevokeAsync(selected, RevocationReason.Logout);
    }

    /// <summary>Records who the owner is, when it is created. Does not write.</summary>
    protected void Initialize(long shopId, Profile profile, DateTimeOffset createdAt)
    {
        state.State.ShopId = shopId;
        state.State.CreatedAt = createdAt;
        state.State.FirstName = profile.FirstName;
        state.State.LastName = profile.LastName;
        state.State.Email = profile.Email.Trim();
        state.State.Gender = profile.Gender;
    }

    /// <summary>
    /// Starts session <paramref name="sessionId"/> (picked by the caller, fresh for each operation) for this owner and
    /// persists the owner's state with it, evicting the oldest sessions beyond the configured maximum. The session and
    /// the owner are written concurrently: if only the owner's write lands, its list names a session that never
    /// started (listing skips it); if only the session's lands, the call fails and no token is handed out — and a
    /// repeat with the same id completes it. A session id the list already holds is a repeat of an operation whose
    /// answer was lost: the session grain hands out the same grant again (or refuses, if the session has moved on).
    /// </summary>
    protected async Task<SessionGrant> StartSessionAndSaveAsync(ClientContext client, Guid sessionId)
    {
        var start = new SessionStart(this.GetPrimaryKey(), CustomerType, state.State.ShopId, client);
        var sessions = state.State.Sessions;
        if (sessions.Contains(sessionId))
        {
            // Written anyway: the first attempt's write of this very state may be the one that failed.
            var repeated = Session(sessionId).Start(start);
            await Task.WhenAll(repeated, state.WriteOrDeactivateAsync(this));
            return await repeated;
        }

        sessions.Add(sessionId);
        var evicted = sessions.Take(Math.Max(0, sessions.Count - options.Value.Sessions.MaxPerCustomer)).ToList();
        sessions.RemoveRange(0, evicted.Count);

        var started = Session(sessionId).Start(start);
        await Task.WhenAll([started, state.WriteOrDeactivateAsync(this), .. evicted.Select(id => Session(id).Revoke(RevocationReason.SessionLimit))]);
        return await started;
    }

    /// <summary>
    /// Whether this existing owner was created with <paramref name="shopId"/> and <paramref name="profile"/> and its
    /// first session is <paramref name="sessionId"/>: what a repeated create (same ids, same request) finds.
    /// </summary>
    protected bool WasCreatedAs(long shopId, Profile profile, Guid sessionId) =>
        state.RecordExists
        && state.State.ShopId == shopId
        && string.Equals(state.State.Email, profile.Email.Trim(), StringComparison.Ordinal)
        && string.Equals(state.State.FirstName, profile.FirstName, StringComparison.Ordinal)
        && string.Equals(state.State.LastName, profile.LastName, StringComparison.Ordinal)
        && state.State.Gender == profile.Gender
        && state.State.Sessions.Count > 0 && state.State.Sessions[0] == sessionId;

    /// <summary>Revokes the given sessions and forgets them, then persists the list.</summary>
    protected async Task RevokeAsync(IReadOnlyCollection<Guid> sessionIds, RevocationReason reason)
    {
        await RevokeWithoutWriteAsync(sessionIds, reason);
        await state.WriteOrDeactivateAsync(this);
    }

    /// <summary>Revokes every session of the owner. Does not write the owner's state, so a caller can persist all its changes at once.</summary>
    protected Task RevokeAllSessionsAsync(RevocationReason reason) =>
        RevokeWithoutWriteAsync([.. state.State.Sessions], reason);

    private async Task RevokeWithoutWriteAsync(IReadOnlyCollection<Guid> sessionIds, RevocationReason reason)
    {
        await Task.WhenAll(sessionIds.Select(id => Session(id).Revoke(reason)));
        state.State.Sessions.RemoveAll(sessionIds.Contains);
    }

    protected ISessionGrain Session(Guid id) => GrainFactory.GetGrain<ISessionGrain>(id);
}
