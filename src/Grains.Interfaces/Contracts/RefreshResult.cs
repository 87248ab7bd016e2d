namespace AuthCluster.Grains.Interfaces;

/// <summary>Outcome of presenting a refresh token. <see cref="Grant"/> is null when the grant is invalid.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.RefreshResult")]
public sealed record RefreshResult([property: Id(0)] SessionGrant? Grant)
{
    public static RefreshResult Invalid { get; } = new((SessionGrant?)null);
}
