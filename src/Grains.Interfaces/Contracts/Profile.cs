namespace AuthCluster.Grains.Interfaces;

/// <summary>Profile data of a customer or guest, as given at registration or guest login.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.Profile")]
public sealed record Profile(
    [property: Id(0)] string FirstName,
    [property: Id(1)] string LastName,
    [property: Id(2)] string Email,
    [property: Id(3)] string? Gender);
