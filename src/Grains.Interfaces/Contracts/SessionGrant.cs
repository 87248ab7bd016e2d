namespace AuthCluster.Grains.Interfaces;

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
