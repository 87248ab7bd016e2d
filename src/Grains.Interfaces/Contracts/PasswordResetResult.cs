namespace AuthCluster.Grains.Interfaces;

/// <param name="Problem">Why the password was rejected (<see cref="PasswordResetOutcome.PasswordRejected"/>), for the
/// <c>validation_error</c> on <c>password</c>; never the password itself.</param>
[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetResult")]
public sealed record PasswordResetResult(
    [property: Id(0)] PasswordResetOutcome Outcome,
    [property: Id(1)] SessionGrant? Grant,
    [property: Id(2)] string? Problem = null)
{
    public static PasswordResetResult InvalidHash { get; } = new(PasswordResetOutcome.InvalidHash, null);
    public static PasswordResetResult Succeeded(SessionGrant grant) => new(PasswordResetOutcome.Success, grant);
    public static PasswordResetResult PasswordRejected(string problem) => new(PasswordResetOutcome.PasswordRejected, null, problem);
}
