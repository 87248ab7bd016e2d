namespace AuthCluster.Grains.Interfaces;

[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetResult")]
public sealed record PasswordResetResult(
    [property: Id(0)] PasswordResetOutcome Outcome,
    [property: Id(1)] SessionGrant? Grant)
{
    public static PasswordResetResult InvalidHash { get; } = new(PasswordResetOutcome.InvalidHash, null);
    public static PasswordResetResult Succeeded(SessionGrant grant) => new(PasswordResetOutcome.Success, grant);
}
