namespace AuthCluster.Tests.Infrastructure;

/// <summary>
/// Runs after every other test and alone: its tests measure time (or start real processes and then measure time),
/// so nothing else in the test run may compete for the two cores while they do. Its tests share one PostgreSQL
/// server (<see cref="Cluster.ClusterServer"/>).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone : ICollectionFixture<Cluster.ClusterServer>
{
    public const string Name = "Measured alone";
}
