namespace AuthCluster.Grains.Interfaces;

/// <summary>A guest, keyed by a fresh guest id per guest login.</summary>
[Alias("AuthCluster.IGuestGrain")]
public interface IGuestGrain : ISessionOwnerGrain
{
    /// <remarks>
    /// Retry-safe because the caller picks a fresh guest id: a repeat either creates the guest (the first attempt
    /// never did) or fails with <see cref="AlreadyCreatedException"/>; it never creates a second guest. The short
    /// timeout (two writes take milliseconds) lets a call lost with its silo be retried instead of failing.
    /// </remarks>
    [RetrySafe, ResponseTimeout(FailurePolicy.OneWriteTimeout), Alias("Create")]
    Task<SessionGrant> Create(long shopId, Profile profile, ClientContext client);
}
