namespace AuthCluster.Tests.Infrastructure;

/// <summary>
/// Runs after every other test and alone: its tests measure time (or start real processes and then measure time),
/// so nothing else in the test run may compete for the two cores while they do.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "Measured alone";
}
