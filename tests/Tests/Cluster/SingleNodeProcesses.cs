using System.Globalization;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// Real processes of one single-node installation in Production configuration: SQLite in a temp folder, localhost
/// clustering on free ports. Disposing stops them, the last started first (an API node does not chase a departed
/// gateway), and removes the folder.
/// </summary>
internal sealed class SingleNodeProcesses(string name) : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"authcluster-{name}-tests", Guid.NewGuid().ToString("N")[..12]);
    private readonly List<NodeProcess> _nodes = [];
    private readonly string _clusterId = $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];

    /// <summary>The settings every process of the installation shares; add a node's own to a copy.</summary>
    public Dictionary<string, string> Environment() => new()
    {
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Storage__Provider"] = "Sqlite",
        ["Storage__ConnectionString"] = $"Data Source={Path.Combine(_directory, "auth.db")}",
        ["Cluster__ClusterId"] = _clusterId,
        ["Cluster__SiloPort"] = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture),
        ["Cluster__GatewayPort"] = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture),
        ["Auth__Signing__KeyEncryptionKey"] = AuthApiFactory.TestKek,
        ["Auth__Passwords__BcryptCost"] = "4",
        ["Email__Provider"] = "Pickup",
        ["Email__PickupDirectory"] = Path.Combine(_directory, "mail"),
        ["Email__From"] = "Shop <no-reply@shop.example>",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    public NodeProcess Start(string node, string dll, Dictionary<string, string> environment)
    {
        Directory.CreateDirectory(_directory);
        var process = NodeProcess.Start(node, dll, environment, _directory);
        _nodes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            await _nodes[i].DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
