namespace AuthCluster.Grains.Interfaces;

/// <summary>Whom a live, unused reset hash belongs to.</summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.PasswordResetTicket")]
public sealed record PasswordResetTicket(
    [property: Id(0)] Guid CustomerId,
    [property: Id(1)] long ShopId,
    [property: Id(2)] string Email);
