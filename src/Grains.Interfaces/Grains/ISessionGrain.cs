using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>A refresh-token family (one login), keyed by session id. Hot path of refresh and validate.</summary>
[Alias("AuthCluster.ISessionGrain")]
public interface ISessionGrain : IGrainWithGuidKey
{
    // Shorter than the 5 s default: an answer from memory, or after one write, that takes this long was lost with
    // its silo. These calls are retry-safe, so timing out early turns a dead silo into a retry, not an error.

    /// <summary>
    /// Starts the session and returns its first refresh token. The caller picks the session id afresh; a repeat with
    /// the same parameters returns the same grant while the session has neither rotated nor been revoked (the first
    /// token is derived from the session's rotation key), anything else fails with <see cref="AlreadyCreatedException"/>.
    /// </summary>
    [Alias("Start")]
    Task<SessionGrant> Start(SessionStart start);

    /// <summary>Rotates the refresh token (RFC 9700 §4.14), detecting reuse.</summary>
    /// <remarks>
    /// Retry-safe within the reuse grace window: the successor is derived from the presented token, so a repeat
    /// after a rotation whose answer was lost returns the same successor, never a second one.
    /// </remarks>
    [RetrySafe(WithinRefreshGrace = true), ResponseTimeout(FailurePolicy.OneWriteTimeout), Alias("Refresh")]
    Task<RefreshResult> Refresh(string refreshToken, ClientContext client);

    /// <summary>True while the session is neither revoked nor expired.</summary>
    [ReadOnly, ResponseTimeout(FailurePolicy.QuickReadTimeout), Alias("IsActive")]
    Task<bool> IsActive();

    /// <summary>
    /// <see cref="IsActive"/>, and the session belongs to <paramref name="subjectId"/> of <paramref name="customerType"/>:
    /// the session check of every access-token validation (the token's <c>sub</c> and <c>customer_type</c>).
    /// </summary>
    [ReadOnly, ResponseTimeout(FailurePolicy.QuickReadTimeout), Alias("IsActiveFor")]
    Task<bool> IsActiveFor(Guid subjectId, CustomerType customerType);

    /// <summary>The session as listed to its owner; null when no longer active.</summary>
    [ReadOnly, ResponseTimeout(FailurePolicy.QuickReadTimeout), Alias("GetInfo")]
    Task<SessionInfo?> GetInfo();

    /// <summary>What a refresh token stands for, if it is the current token of an active session.</summary>
    [ReadOnly, ResponseTimeout(FailurePolicy.QuickReadTimeout), Alias("Inspect")]
    Task<RefreshTokenInfo?> Inspect(string refreshToken);

    [RetrySafe, Alias("Revoke")]
    Task Revoke(RevocationReason reason);

    /// <summary>The session with its client and state, also once revoked or expired; null when it never started or was erased.</summary>
    [ReadOnly, Alias("Describe")]
    Task<SessionRecord?> Describe();

    /// <summary>
    /// Revokes the session (if still active) for an erased customer and clears its state: no token of it works, and
    /// nothing of it is kept but an empty row under the session id.
    /// </summary>
    [Alias("Erase")]
    Task Erase();
}
