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
    [RetrySafe, ResponseTimeout(FailurePolicy.OneWriteTimeout), Alias("Logout")]
    Task Logout(Guid currentSessionId, LogoutScope scope);
}
