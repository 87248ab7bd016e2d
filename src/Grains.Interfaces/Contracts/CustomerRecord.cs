namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Everything a customer grain holds about one customer, for operators and for a data subject's access request
/// (GDPR Art. 15/20). Never the password hash itself: only which kind of password is held.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.CustomerRecord")]
public sealed record CustomerRecord(
    [property: Id(0)] Guid CustomerId,
    [property: Id(1)] long ShopId,
    [property: Id(2)] Profile Profile,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] string? ExternalId,
    [property: Id(5)] PasswordKind Password,
    [property: Id(6)] DateTimeOffset? DisabledAt,
    [property: Id(7)] bool PasswordResetPending,
    [property: Id(8)] IReadOnlyList<SessionRecord> Sessions);

/// <summary>Which password a customer has, without revealing anything of it.</summary>
public enum PasswordKind
{
    /// <summary>Imported without a password: none verifies until one is set through a reset.</summary>
    None = 0,

    /// <summary>A hash brought in by an import, replaced by AuthCluster's own at the first login.</summary>
    Imported = 1,

    /// <summary>AuthCluster's own hash.</summary>
    Set = 2,
}

/// <summary>A session as an operator sees it: also its client and, once ended, why.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SessionRecord")]
public sealed record SessionRecord(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string ClientId,
    [property: Id(2)] string? Ip,
    [property: Id(3)] string? UserAgent,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset UpdatedAt,
    [property: Id(6)] DateTimeOffset ExpiresAt,
    [property: Id(7)] SessionStatus Status,
    [property: Id(8)] DateTimeOffset? RevokedAt,
    [property: Id(9)] RevocationReason? RevocationReason);

public enum SessionStatus
{
    Active = 0,
    Revoked = 1,
    Expired = 2,
}

/// <summary>What the email index holds for one shop and address: the account it names and the per-address limits.</summary>
/// <param name="ThrottledUntil">When a login may be attempted again; null when it may now.</param>
[GenerateSerializer, Immutable, Alias("AuthCluster.EmailIndexRecord")]
public sealed record EmailIndexRecord(
    [property: Id(0)] Guid? CustomerId,
    [property: Id(1)] int FailedLogins,
    [property: Id(2)] DateTimeOffset? LastFailureAt,
    [property: Id(3)] DateTimeOffset? ThrottledUntil,
    [property: Id(4)] int ResetRequests,
    [property: Id(5)] DateTimeOffset? ResetWindowStart);
