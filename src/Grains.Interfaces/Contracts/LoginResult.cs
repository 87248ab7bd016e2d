namespace AuthCluster.Grains.Interfaces;

[GenerateSerializer, Immutable, Alias("AuthCluster.LoginResult")]
public sealed record LoginResult(
    [property: Id(0)] LoginOutcome Outcome,
    [property: Id(1)] SessionGrant? Grant,
    [property: Id(2)] TimeSpan RetryAfter)
{
    public static LoginResult Failed { get; } = new(LoginOutcome.InvalidCredentials, null, TimeSpan.Zero);
    public static LoginResult Succeeded(SessionGrant grant) => new(LoginOutcome.Success, grant, TimeSpan.Zero);
    public static LoginResult Throttled(TimeSpan retryAfter) => new(LoginOutcome.Throttled, null, retryAfter);
}
