namespace AuthCluster.Silo.Hosting;

/// <summary>The <c>Storage</c> configuration section.</summary>
public sealed class StorageSettings
{
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (single node), <c>PostgreSql</c> (cluster) or <c>Memory</c> (tests only).</summary>
    public string Provider { get; set; } = "Sqlite";

    public string ConnectionString { get; set; } = "Data Source=data/authcluster.db";

    public bool IsSqlite => Provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase);
    public bool IsPostgreSql => Provider.Equals("PostgreSql", StringComparison.OrdinalIgnoreCase);
    public bool IsMemory => Provider.Equals("Memory", StringComparison.OrdinalIgnoreCase);

    /// <summary>The folder of the SQLite file, where a development key-encryption key is kept too.</summary>
    public string DataDirectory()
    {
        if (!IsSqlite)
        {
            return "data";
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString).DataSource;
        var directory = Path.GetDirectoryName(Path.GetFullPath(file));
        return string.IsNullOrEmpty(directory) ? "data" : directory;
    }

    public static StorageSettings From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<StorageSettings>() ?? new();
}

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
