namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// A password-reset request as the API accepted it: <see cref="ResetUrl"/> is the client's validated link
/// template (it contains <c>{hash}</c>); the hash itself is minted by the customer grain.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetRequest")]
public sealed record PasswordResetRequest(
    [property: Id(0)] string ResetUrl,
    [property: Id(1)] string ClientId);
