using System.Net;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;

namespace AuthCluster.Tests.Storage;

/// <summary>Real silos and a client agreeing on membership through our PostgreSQL script (ORLEANS-ADONET.md §7 C).</summary>
[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public sealed class PostgreSqlClusterTests(PostgreSqlFixture database) : IAsyncLifetime
{
    private readonly string _clusterId = $"cluster-{Guid.NewGuid():N}";
    private readonly List<TestSilo> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Client first, then silos, so the client does not chase departing gateways.
        for (var i = _hosts.Count - 1; i >= 0; i--)
        {
            await _hosts[i].DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task StartAsync_TwoSilosAndClient_ClientSeesBothActiveSilos()
    {
        // Arrange
        Skip.If(database.ConnectionString is null, PostgreSqlFixture.SkipReason);
        var connectionString = database.ConnectionString!;
        await StartSiloAsync(connectionString);
        await StartSiloAsync(connectionString);

        // Act
        var client = await TestSilo.StartAsync(builder => builder.UseOrleansClient(c =>
        {
            c.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (_clusterId, "cluster-tests"));
            c.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
        }));
        _hosts.Add(client);
        var management = client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var activeHosts = await WaitForAsync(async () => (await management.GetHosts(onlyActive: true)).Count, count => count == 2);

        // Assert
        Assert.Equal(2, activeHosts);
        Assert.Equal(2L, await ActiveRowsAsync(connectionString));
    }

    private async Task StartSiloAsync(string connectionString)
    {
        var silo = await TestSilo.StartAsync(silo =>
        {
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (_clusterId, "cluster-tests"));
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = IPAddress.Loopback;
                o.SiloPort = TestSilo.FreePort();
                o.GatewayPort = TestSilo.FreePort();
            });
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
        });
        _hosts.Add(silo);
    }

    private async Task<long> ActiveRowsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM orleans_membership WHERE deployment_id = @id AND status = 3", connection);
        command.Parameters.AddWithValue("id", _clusterId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(250);
        }
    }
}
