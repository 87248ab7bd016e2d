namespace AuthCluster.Grains.Interfaces;

/// <summary>What a new session is started with.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SessionStart")]
public sealed record SessionStart(
    [property: Id(0)] Guid SubjectId,
    [property: Id(1)] CustomerType CustomerType,
    [property: Id(2)] long ShopId,
    [property: Id(3)] ClientContext Client);
