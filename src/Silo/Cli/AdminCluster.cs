using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Hosting;

namespace AuthCluster.Silo.Cli;

/// <summary>
/// An admin command's connection to the running service, as an Orleans client: to a single node's gateway on
/// localhost (<c>Cluster:GatewayPort</c>) or to a cluster through its membership table. Commands that act on live
/// accounts, sessions or keys go through the grains, so a change takes effect at once everywhere, exactly as the
/// HTTP API's own calls do.
/// </summary>
internal sealed class AdminCluster : IAsyncDisposable
{
    /// <summary>How long to try to reach a gateway before reporting the service unreachable.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);

    private readonly IHost _host;

    private AdminCluster(IHost host) => _host = host;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>
    /// Who runs the command, for the security event every admin action writes: the operating-system user and
    /// host, as an operator's shell would show them.
    /// </summary>
    public static string Actor => $"{Environment.UserName}@{Environment.MachineName}";

    /// <summary>Connects, or explains on standard error why it cannot and returns null (exit code 1).</summary>
    public static async Task<AdminCluster?> ConnectAsync(CliInvocation cli)
    {
        var cluster = ClusterSettings.From(cli.Configuration);
        var storage = StorageSettings.From(cli.Configuration);
        // The node's environment, so that the cluster TLS requirement judges the command as it judges the node.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = cli.Configuration[HostDefaults.EnvironmentKey],
        });
        builder.UseOrleansClient(client => client.UseAuthClustering(cluster, storage));
        var host = builder.Build();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cli.Cancellation);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await host.StartAsync(timeout.Token);
            return new AdminCluster(host);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            var where = cluster.UsesAdoNetClustering
                ? $"cluster {cluster.ClusterId} (membership in the Storage:ConnectionString database)"
                : $"the node's gateway on localhost:{cluster.GatewayPort}";
            await cli.Console.Error.WriteLineAsync(cli.Cancellation.IsCancellationRequested
                ? "Interrupted while connecting."
                : $"Cannot reach {where}: {exception.GetBaseException().Message} Is the service running with the same Cluster:* settings?");
            host.Dispose();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            _host.Dispose();
        }
    }
}
