namespace AuthCluster.Grains.Interfaces;

[GenerateSerializer, Immutable, Alias("AuthCluster.RegisterResult")]
public sealed record RegisterResult(
    [property: Id(0)] RegisterOutcome Outcome,
    [property: Id(1)] SessionGrant? Grant);
