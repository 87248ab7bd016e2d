namespace AuthCluster.Grains.Interfaces;

/// <summary>What a refresh token stands for, for introspection.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.RefreshTokenInfo")]
public sealed record RefreshTokenInfo(
    [property: Id(0)] Guid SessionId,
    [property: Id(1)] Guid SubjectId,
    [property: Id(2)] CustomerType CustomerType,
    [property: Id(3)] long ShopId,
    [property: Id(4)] string ClientId,
    [property: Id(5)] DateTimeOffset ExpiresAt);
