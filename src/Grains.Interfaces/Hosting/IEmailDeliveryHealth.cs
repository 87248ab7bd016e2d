namespace AuthCluster.Grains.Interfaces.Hosting;

/// <summary>
/// What the email sender last learned about our provider credentials, for readiness reports. Registered where
/// emails are sent (a silo, so also an API node in Embedded mode); an API node without a silo has none.
/// </summary>
public interface IEmailDeliveryHealth
{
    /// <summary>Set while the provider refuses our credentials; null while email goes out.</summary>
    string? ProblemDescription { get; }
}
