namespace AuthCluster.Grains.Interfaces;

/// <summary>Something that owns sessions: a registered customer or a guest.</summary>
/// <remarks>
/// The retry-safe methods carry a response timeout below the 5 s default, so that a call lost with a killed silo
/// times out early enough for the API to repeat it on a survivor.
/// </remarks>
[Alias("AuthCluster.ISessionOwnerGrain")]
public interface ISessionOwnerGrain : IGrainWithGuidKey
{
    /// <summary>The owner's sessions that are still active.</summary>
    [RetrySafe, ResponseTimeout(FailurePolicy.OneWriteTimeout), Alias("GetSessions")]
    Task<IReadOnlyList<SessionInfo>> GetSessions();

    /// <summary>Revokes one of the owner's sessions; false if it is not one of them.</summary>
    [Alias("RevokeSession")]
    Task<bool> RevokeSession(Guid sessionId, RevocationReason reason);

    /// <summary>Logout: revokes the sessions that <paramref name="scope"/> selects relative to <paramref name="currentSessionId"/>.</summary>
    /// <remarks>
    /// The default response timeout, not the short one of the other writes: after a silo loss a logout legitimately
    /// waits for the death declaration and then for a re-activated revocation-feed shard's lease (2 s), and an
    /// attempt timed out early would only be repeated into the same wait. A lost attempt is repeated on the silo loss
    /// itself (see the API's retry filter), not after a timeout.
    /// </remarks>
    [RetrySafe, Alias("Logout")]
    Task Logout(Guid currentSessionId, LogoutScope scope);
}
