namespace AuthCluster.Grains.Interfaces;

/// <summary>A guest, keyed by a fresh guest id per guest login.</summary>
[Alias("AuthCluster.IGuestGrain")]
public interface IGuestGrain : ISessionOwnerGrain
{
    /// <summary>Creates the guest and its session <paramref name="sessionId"/>.</summary>
    /// <remarks>
    /// Retry-safe because the caller picks a fresh guest id and session id for each guest login: a repeat with the
    /// same ids and request either creates the guest (the first attempt never did) or returns the first attempt's
    /// grant; it never creates a second guest or session. Anything else finding the guest existing fails with
    /// <see cref="AlreadyCreatedException"/>.
    /// </remarks>
    [RetrySafe, ResponseTimeout(FailurePolicy.OneWriteTimeout), Alias("Create")]
    Task<SessionGrant> Create(long shopId, Profile profile, ClientContext client, Guid sessionId);
}
