namespace AuthCluster.Grains.Interfaces;

/// <summary>One active session as shown in the session list.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SessionInfo")]
public sealed record SessionInfo(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string? Ip,
    [property: Id(2)] string? UserAgent,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset UpdatedAt,
    [property: Id(5)] DateTimeOffset ExpiresAt);
