namespace AuthCluster.Grains.Interfaces;

/// <summary>Whether a session belongs to a registered customer or to a guest.</summary>
public enum CustomerType
{
    Registered = 0,
    Guest = 1,
}

/// <summary>Which sessions a logout revokes.</summary>
public enum LogoutScope
{
    /// <summary>Only the session of the presented token.</summary>
    Local = 0,
    /// <summary>Every session of the customer except the presented one.</summary>
    Others = 1,
    /// <summary>Every session of the customer.</summary>
    Global = 2,
}

/// <summary>Why a session stopped working; kept for audit.</summary>
public enum RevocationReason
{
    Logout = 0,
    RefreshTokenReuse = 1,
    PasswordChanged = 2,
    SessionLimit = 3,
    Deleted = 4,
}

/// <summary>The API client and end-customer context of a request.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.ClientContext")]
public sealed record ClientContext(
    [property: Id(0)] string ClientId,
    [property: Id(1)] string? Ip,
    [property: Id(2)] string? UserAgent);

/// <summary>Profile data of a customer or guest, as given at registration or guest login.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.Profile")]
public sealed record Profile(
    [property: Id(0)] string FirstName,
    [property: Id(1)] string LastName,
    [property: Id(2)] string Email,
    [property: Id(3)] string? Gender);

/// <summary>
/// A session that was just started or rotated: everything the API needs to sign an access token
/// and answer with a token response. <see cref="RefreshToken"/> is the only plaintext copy.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SessionGrant")]
public sealed record SessionGrant(
    [property: Id(0)] Guid SessionId,
    [property: Id(1)] Guid SubjectId,
    [property: Id(2)] CustomerType CustomerType,
    [property: Id(3)] long ShopId,
    [property: Id(4)] string ClientId,
    [property: Id(5)] string RefreshToken,
    [property: Id(6)] DateTimeOffset ExpiresAt);

/// <summary>What a new session is started with.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SessionStart")]
public sealed record SessionStart(
    [property: Id(0)] Guid SubjectId,
    [property: Id(1)] CustomerType CustomerType,
    [property: Id(2)] long ShopId,
    [property: Id(3)] ClientContext Client);

/// <summary>One active session as shown in the session list.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SessionInfo")]
public sealed record SessionInfo(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string? Ip,
    [property: Id(2)] string? UserAgent,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset UpdatedAt,
    [property: Id(5)] DateTimeOffset ExpiresAt);

/// <summary>What a refresh token stands for, for introspection.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.RefreshTokenInfo")]
public sealed record RefreshTokenInfo(
    [property: Id(0)] Guid SessionId,
    [property: Id(1)] Guid SubjectId,
    [property: Id(2)] CustomerType CustomerType,
    [property: Id(3)] long ShopId,
    [property: Id(4)] string ClientId,
    [property: Id(5)] DateTimeOffset ExpiresAt);

public enum RegisterOutcome
{
    Registered = 0,
    EmailTaken = 1,
}

[GenerateSerializer, Immutable, Alias("AuthCluster.RegisterResult")]
public sealed record RegisterResult(
    [property: Id(0)] RegisterOutcome Outcome,
    [property: Id(1)] SessionGrant? Grant);

public enum LoginOutcome
{
    Success = 0,
    InvalidCredentials = 1,
    Throttled = 2,
}

[GenerateSerializer, Immutable, Alias("AuthCluster.LoginResult")]
public sealed record LoginResult(
    [property: Id(0)] LoginOutcome Outcome,
    [property: Id(1)] SessionGrant? Grant,
    [property: Id(2)] TimeSpan RetryAfter)
{
    public static LoginResult Failed { get; } = new(LoginOutcome.InvalidCredentials, null, TimeSpan.Zero);
    public static LoginResult Succeeded(SessionGrant grant) => new(LoginOutcome.Success, grant, TimeSpan.Zero);
    public static LoginResult Throttled(TimeSpan retryAfter) => new(LoginOutcome.Throttled, null, retryAfter);
}

/// <summary>Outcome of presenting a refresh token. <see cref="Grant"/> is null when the grant is invalid.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.RefreshResult")]
public sealed record RefreshResult([property: Id(0)] SessionGrant? Grant)
{
    public static RefreshResult Invalid { get; } = new((SessionGrant?)null);
}

/// <summary>
/// A password-reset request as the API accepted it: <see cref="ResetUrl"/> is the client's validated link
/// template (it contains <c>{hash}</c>); the hash itself is minted by the customer grain.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetRequest")]
public sealed record PasswordResetRequest(
    [property: Id(0)] string ResetUrl,
    [property: Id(1)] string ClientId);

/// <summary>
/// A reset hash that is about to be emailed. <see cref="ProtectedHash"/> is the hash encrypted with the
/// key-encryption key: durable delivery has to survive a restart, and the plaintext is never stored.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetDelivery")]
public sealed record PasswordResetDelivery(
    [property: Id(0)] Guid CustomerId,
    [property: Id(1)] long ShopId,
    [property: Id(2)] string Email,
    [property: Id(3)] string ResetUrl,
    [property: Id(4)] byte[] ProtectedHash,
    [property: Id(5)] DateTimeOffset ExpiresAt);

/// <summary>Whom a live, unused reset hash belongs to.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetTicket")]
public sealed record PasswordResetTicket(
    [property: Id(0)] Guid CustomerId,
    [property: Id(1)] long ShopId,
    [property: Id(2)] string Email);

public enum PasswordResetOutcome
{
    Success = 0,
    /// <summary>Unknown, expired, used or superseded hash.</summary>
    InvalidHash = 1,
}

[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetResult")]
public sealed record PasswordResetResult(
    [property: Id(0)] PasswordResetOutcome Outcome,
    [property: Id(1)] SessionGrant? Grant)
{
    public static PasswordResetResult InvalidHash { get; } = new(PasswordResetOutcome.InvalidHash, null);
    public static PasswordResetResult Succeeded(SessionGrant grant) => new(PasswordResetOutcome.Success, grant);
}
