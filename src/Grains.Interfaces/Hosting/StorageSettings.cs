using System.Data.Common;
using Microsoft.Extensions.Configuration;

namespace AuthCluster.Grains.Interfaces.Hosting;

/// <summary>The <c>Storage</c> configuration section.</summary>
public sealed class StorageSettings
{
    public const string Section = "Storage";

    /// <summary>The keywords Microsoft.Data.Sqlite accepts for the database file.</summary>
    private static readonly string[] SqliteFileKeywords = ["Data Source", "DataSource", "Filename"];

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

        // The generic parser: API nodes read this too and must not depend on the SQLite driver.
        var settings = new DbConnectionStringBuilder { ConnectionString = ConnectionString };
        var file = SqliteFileKeywords.Select(k => settings.TryGetValue(k, out var value) ? value as string : null)
            .FirstOrDefault(f => !string.IsNullOrEmpty(f));
        var directory = file is null ? null : Path.GetDirectoryName(Path.GetFullPath(file));
        return string.IsNullOrEmpty(directory) ? "data" : directory;
    }

    public static StorageSettings From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<StorageSettings>() ?? new();
}
