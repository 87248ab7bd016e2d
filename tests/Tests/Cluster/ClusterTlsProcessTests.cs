using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Hosting;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// A real cluster with TLS on (two silos, one API node in <c>Client</c> mode, PostgreSQL membership, Production):
/// the nodes interoperate through their certificates, and an Orleans client without a certificate of the
/// cluster's CA — none at all, or one from another CA — finds the gateways in the membership table but cannot
/// call through them.
/// </summary>
[ProcessLevel]
public sealed class ClusterTlsProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>How long a client without a valid certificate is given to make one call (a member needs well under a second).</summary>
    private static readonly TimeSpan Intruder = TimeSpan.FromSeconds(15);

    private ThrowawayPostgres? _ownServer;
    private string? _server = Environment.GetEnvironmentVariable(PostgreSqlFixture.EnvironmentVariable);

    public async Task InitializeAsync()
    {
        if (string.IsNullOrWhiteSpace(_server) && ThrowawayPostgres.IsInstalled)
        {
            _ownServer = await ThrowawayPostgres.StartAsync();
            _server = _ownServer.ConnectionString;
        }
    }

    public async Task DisposeAsync()
    {
        if (_ownServer is not null)
        {
            await _ownServer.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task TlsCluster_ApiAndSilosInteroperate_ClientsWithoutClusterCertificateRefused()
    {
        Skip.If(string.IsNullOrWhiteSpace(_server), PostgreSqlFixture.SkipReason);
        await using var cluster = await ProcessCluster.CreateAsync(_server!, "tls");
        try
        {
            // Arrange
            await cluster.StartAsync(silos: 2, apis: 1);
            using var http = new HttpClient { BaseAddress = cluster.Apis[0].BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
            var email = TestApi.UniqueEmail("tls");
            using var otherCa = TestCertificateAuthority.Create("someone-elses-ca");
            var foreignDirectory = otherCa.IssueTo(Path.Combine(cluster.LogDirectory, "foreign-tls"), "intruder");
            using var foreignCertificate = X509Certificate2.CreateFromPem(
                File.ReadAllText(Path.Combine(foreignDirectory, "tls.crt")), File.ReadAllText(Path.Combine(foreignDirectory, "tls.key")));

            // Act
            using var register = await http.SendAsync(MixedLoad.Client(HttpMethod.Post, "/v1/auth/register",
                new { first_name = "Ada", last_name = "Lovelace", email, password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));
            using var login = await http.SendAsync(MixedLoad.Client(HttpMethod.Post, "/v1/auth/login",
                new { email, password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));
            var accessToken = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
            using var validate = await http.SendAsync(MixedLoad.Bearer(HttpMethod.Get, "/v1/oauth/token/validate", accessToken));
            var member = await CallThroughGatewayAsync(cluster, cluster.TlsDirectory, _ => { }, TimeSpan.FromSeconds(30));
            // The intruder trusts any silo certificate, so its failure can only be the gateway refusing it.
            var intruders = await Task.WhenAll(
                CallThroughGatewayAsync(cluster, null, client => client.UseTls(foreignCertificate, o => o.AllowAnyRemoteCertificate()), Intruder),
                CallThroughGatewayAsync(cluster, null, _ => { }, Intruder));
            var (foreign, plain) = (intruders[0], intruders[1]);
            var siloLogs = string.Join("\n", cluster.Silos.Select(s => s.Process.Tail(int.MaxValue)));
            var siloNames = await SiloNamesAsync(cluster);

            // Assert
            Assert.Equal(HttpStatusCode.Created, register.StatusCode);
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.Equal(HttpStatusCode.OK, validate.StatusCode);
            Assert.Equal(["silo1", "silo2"], siloNames); // Cluster:SiloName, as the pod name on Kubernetes
            Assert.True(member is null, $"a client with the cluster's certificate failed: {member}");
            Assert.NotNull(foreign);
            Assert.NotNull(plain);
            // Refused by the silo's certificate check, not lost on the way: the gateway says why.
            Assert.Contains("remote certificate was rejected", siloLogs, StringComparison.Ordinal);
            output.WriteLine($"certificate of another CA: {foreign.GetBaseException().GetType().Name}: {foreign.GetBaseException().Message}");
            output.WriteLine($"no TLS: {plain.GetBaseException().GetType().Name}: {plain.GetBaseException().Message}");
        }
        catch
        {
            output.WriteLine(cluster.Diagnostics());
            throw;
        }
    }

    private static async Task<List<string>> SiloNamesAsync(ProcessCluster cluster)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT silo_name FROM orleans_membership WHERE deployment_id = @id AND status = 3 ORDER BY silo_name", connection);
        command.Parameters.AddWithValue("id", cluster.ClusterId);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>
    /// An Orleans client of the test's own, configured as the admin commands are (membership from PostgreSQL), with
    /// the cluster's TLS from <paramref name="directory"/> (or none, and then <paramref name="transport"/>'s), asks
    /// the management grain for the silos; returns why that failed, or null if it worked.
    /// </summary>
    private static async Task<Exception?> CallThroughGatewayAsync(ProcessCluster cluster, string? directory, Action<IClientBuilder> transport, TimeSpan within)
    {
        var settings = new ClusterSettings
        {
            Mode = "Client",
            Clustering = "AdoNet",
            ClusterId = cluster.ClusterId,
            ServiceId = cluster.ClusterId,
            Tls = { Directory = directory, Disabled = directory is null },
        };
        var storage = new StorageSettings { Provider = "PostgreSql", ConnectionString = cluster.ConnectionString };
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Production" });
        builder.UseOrleansClient(client => transport(client.UseAuthClustering(settings, storage)));
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await host.StartAsync(timeout.Token);
            var silos = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(timeout.Token);
            return silos.Count == 2 ? null : new InvalidOperationException($"{silos.Count} active silos seen");
        }
        catch (Exception exception)
        {
            return exception;
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await host.StopAsync(stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                // A client that never connected has little to stop.
            }
        }
    }
}
