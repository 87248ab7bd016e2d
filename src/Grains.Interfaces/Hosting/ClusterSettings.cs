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
    /// The silo's name in the membership table and in logs; on Kubernetes its pod's name. Empty: Orleans picks one.
    /// </summary>
    public string? SiloName { get; set; }

    /// <summary>TLS with client certificates on silo-to-silo and client-to-gateway connections.</summary>
    public ClusterTlsSettings Tls { get; set; } = new();

    /// <summary>
    /// How long a stopping node may take to hand its grains over and leave the membership table. Below
    /// Kubernetes' default <c>terminationGracePeriodSeconds</c> (30 s), so the pod is never killed mid-handover.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// How long a grain (a session, a customer, …) stays in a silo's memory after its last call. Its state is in
    /// storage, so the next call after that reads it again: shorter saves memory, longer saves database reads.
    /// </summary>
    public TimeSpan IdleDeactivation { get; set; } = TimeSpan.FromMinutes(15);

    public bool IsEmbedded => Mode.Equals("Embedded", StringComparison.OrdinalIgnoreCase);
    public bool UsesAdoNetClustering => Clustering.Equals("AdoNet", StringComparison.OrdinalIgnoreCase);

    public static ClusterSettings From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<ClusterSettings>() ?? new();
}

/// <summary>The <c>Cluster:Tls</c> section.</summary>
public sealed class ClusterTlsSettings
{
    /// <summary>
    /// A directory in the layout cert-manager writes: <c>tls.crt</c> (this node's certificate, then any
    /// intermediates), <c>tls.key</c> (its private key) and <c>ca.crt</c> (the CA every peer's certificate must
    /// chain to). Empty: no TLS.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Runs an <c>AdoNet</c>-clustered node outside Development without TLS. Meant for a network that is protected
    /// otherwise; every start logs a warning.
    /// </summary>
    public bool Disabled { get; set; }

    /// <summary>How often the files are checked for a rotated certificate (at most; only when a connection opens).</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromMinutes(1);

    public bool IsConfigured => !Disabled && !string.IsNullOrWhiteSpace(Directory);
}
