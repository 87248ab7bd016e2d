namespace AuthCluster.ActivationCost;

public interface IEmptyGrain : IGrainWithIntegerKey
{
    Task Touch();
}

/// <summary>No state, no fields, no code: an activation of it is what Orleans spends on any grain.</summary>
public sealed class EmptyGrain : Grain, IEmptyGrain
{
    public Task Touch() => Task.CompletedTask;
}
