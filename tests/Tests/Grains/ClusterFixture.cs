using AuthCluster.Grains;
using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace AuthCluster.Tests.Grains;

/// <summary>A two-silo test cluster running the real grains on in-memory storage and a fake clock.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Signing:KeyEncryptionKey"] = AuthApiFactory.TestKek,
            ["Auth:Passwords:BcryptCost"] = "4",
            ["Auth:Tokens:RefreshReuseGrace"] = "00:00:10",
            ["Auth:Tokens:RefreshTokenLifetime"] = "00:10:00",
            ["Auth:Throttling:FreeFailures"] = "2",
            ["Auth:Throttling:BaseDelay"] = "00:00:05",
            ["Auth:Throttling:MaxDelay"] = "00:00:30",
            ["Auth:Sessions:MaxPerCustomer"] = "3",
        }).Build();

        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            // Plain JSON, as the service stores its grain state (a grain that reactivates reads it back).
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.AddMemoryGrainStorage(StorageNames.Auth);
            silo.Services.AddSingleton<IConfiguration>(configuration);
            silo.Services.AddSingleton<TimeProvider>(Time);
            silo.Services.AddAuthCore(configuration);
            silo.Services.AddSingleton<IPasswordHasher, BcryptPasswordHasher>();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "grain cluster";
}
