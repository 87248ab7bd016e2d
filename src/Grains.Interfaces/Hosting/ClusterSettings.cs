using Microsoft.Extensions.Configuration;

namespace AuthCluster.Grains.Interfaces.Hosting;

/// <summary>The <c>Cluster</c> configuration section.</summary>
public sealed class ClusterSettings
{
    public const string Section = "Cluster";

    /// <summary><c>Embedded</c> (the API hosts a silo) or <c>Client</c> (the API joins a silo cluster).</summary>
    public string Mode { get; set; } = "Embedded";

    /// <summary><c>Localhost</c> or <c>AdoNet</c> (PostgreSQL membership table).</summary>
    public string Clustering { get; set; } = "Localhost";

    public string ClusterId { get; set; } = "authcluster";
    public string ServiceId { get; set; } = "authcluster";
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    public string? AdvertisedIP { get; set; }

    /// <summary>
    /// How long a stopping node may take to hand its grains over and leave the membership table. Below
    /// Kubernetes' default <c>terminationGracePeriodSeconds</c> (30 s), so the pod is never killed mid-handover.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    public bool IsEmbedded => Mode.Equals("Embedded", StringComparison.OrdinalIgnoreCase);
    public bool UsesAdoNetClustering => Clustering.Equals("AdoNet", StringComparison.OrdinalIgnoreCase);

    public static ClusterSettings From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<ClusterSettings>() ?? new();
}
