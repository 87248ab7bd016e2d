namespace AuthCluster.Grains.Interfaces;

/// <summary>What a failed grain call says about the system, as <see cref="FailurePolicy.Classify"/> decides it.</summary>
public enum FailureKind
{
    /// <summary>
    /// The cluster, not the call, failed (a silo died or is stopping, a gateway dropped, an activation lost an ETag
    /// race, an answer never came): the same call may well succeed on another silo within seconds.
    /// </summary>
    Transient,

    /// <summary>
    /// The cluster or its database cannot serve now and will not within a request's patience (storage down, client
    /// not connected yet, a lost create answer): the caller gets <c>503</c> and may try again later.
    /// </summary>
    Unavailable,

    /// <summary>Anything else: a defect to fix, never retried, answered <c>500</c> and logged with its stack trace.</summary>
    Bug,
}
