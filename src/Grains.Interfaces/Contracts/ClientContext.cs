namespace AuthCluster.Grains.Interfaces;

/// <summary>The API client and end-customer context of a request.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.ClientContext")]
public sealed record ClientContext(
    [property: Id(0)] string ClientId,
    [property: Id(1)] string? Ip,
    [property: Id(2)] string? UserAgent);
