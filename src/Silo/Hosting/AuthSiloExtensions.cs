using System.Net;
using AuthCluster.Grains;
using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Grains.Maintenance;
using AuthCluster.Silo.Email;
using AuthCluster.Silo.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace AuthCluster.Silo.Hosting;

public static class AuthSiloExtensions
{
    /// <summary>
    /// Hosts a silo in this process, configured from the <c>Cluster</c>, <c>Storage</c>, <c>Auth</c> and
    /// <c>Email</c> sections. The silo program calls it, and so does the API in <c>Embedded</c> mode: this is the
    /// API's only way into the grain implementation, which it otherwise reaches through grain interfaces alone.
    /// </summary>
    public static IHostApplicationBuilder UseAuthSilo(this IHostApplicationBuilder builder)
    {
        builder.UseOrleans(silo => silo.AddAuthSilo(builder.Configuration));
        return builder;
    }

    /// <summary>Configures a silo from the <c>Cluster</c> and <c>Storage</c> sections: clustering, grain storage, reminders.</summary>
    internal static ISiloBuilder AddAuthSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = ClusterSettings.From(configuration);
        var storage = StorageSettings.From(configuration);

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        if (!string.IsNullOrWhiteSpace(cluster.SiloName))
        {
            silo.Configure<SiloOptions>(o => o.SiloName = cluster.SiloName);
        }

        silo.UseClusterTls(cluster);
        ClusterSockets.UseForSilo(silo.Services);

        // SIGTERM stops the host; Orleans then deactivates every grain (state is already written on every change)
        // and marks the silo dead in the membership table, so survivors take over without waiting for detection.
        silo.Services.Configure<HostOptions>(o => o.ShutdownTimeout = cluster.ShutdownTimeout);

        if (cluster.UsesAdoNetClustering)
        {
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = PostgreSqlConnections.ForOrleans(storage.ConnectionString);
            });
            var advertised = string.IsNullOrEmpty(cluster.AdvertisedIP) ? IPAddress.Loopback : IPAddress.Parse(cluster.AdvertisedIP);
            silo.ConfigureEndpoints(advertised, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
            silo.Configure<ClusterMembershipOptions>(FastFailureDetection);
        }
        else
        {
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
        }

        silo.Configure<GrainCollectionOptions>(o =>
        {
            // The collector looks once per quantum (a minute by default): often enough for any idle time given.
            o.CollectionAge = cluster.IdleDeactivation;
            o.CollectionQuantum = TimeSpan.FromTicks(Math.Min(o.CollectionQuantum.Ticks, cluster.IdleDeactivation.Ticks / 2));
        });
        silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = DirectoryCacheSize);
        silo.UseSystemTextJsonGrainStorageSerializer();
        silo.AddIncomingGrainCallFilter<StorageFailureFilter>();
        if (storage.IsPostgreSql)
        {
            silo.AddAdoNetGrainStorage(StorageNames.Auth, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = PostgreSqlConnections.ForOrleans(storage.ConnectionString);
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = PostgreSqlConnections.ForOrleans(storage.ConnectionString);
            });
        }
        else if (storage.IsSqlite)
        {
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new SqliteSchemaInitializer(storage.ConnectionString));
            silo.AddSqliteGrainStorage(StorageNames.Auth, storage.ConnectionString);

            // SQLite serves persistence only; a single node keeps its few reminders in memory.
            silo.UseInMemoryReminderService();
        }
        else if (storage.IsMemory)
        {
            silo.AddMemoryGrainStorage(StorageNames.Auth);
            silo.UseInMemoryReminderService();
        }
        else
        {
            throw new InvalidOperationException($"Storage:Provider '{storage.Provider}' is not one of Sqlite, PostgreSql, Memory.");
        }

        silo.Services.AddAuthCore(configuration);
        silo.Services.TryAddSingleton<IPasswordHasher, BcryptPasswordHasher>();
        silo.Services.AddAuthEmail();
        silo.Services.AddSingleton<IExpiredStateStore>(sp => storage.IsMemory
            ? new NoExpiredStateStore()
            : SqlExpiredStateStore.Create(storage, sp.GetRequiredService<IOptions<ClusterOptions>>(),
                ExpiryFields.From(sp.GetRequiredService<IOptions<SystemTextJsonGrainStorageSerializerOptions>>().Value.JsonSerializerOptions)));
        silo.AddStartupTask((services, _) => services.GetRequiredService<IGrainFactory>().GetGrain<IJanitorGrain>(0).Start());
        silo.AddStartupTask((services, _) => Task.WhenAll(Enumerable.Range(0, RevocationFeed.Shards)
            .Select(shard => services.GetRequiredService<IGrainFactory>().GetGrain<IRevocationFeedGrain>(shard).Warm())));
        return silo;
    }

    /// <summary>
    /// How many grain locations a silo caches. Orleans' default, 1,000,000, keeps an entry until the cache is full,
    /// also after its activation has been collected: about 270 bytes for every grain the silo has ever hosted, up to
    /// ≈ 270 MB that idle deactivation never gives back. Sessions and guests are many and each is called seldom, so
    /// most such entries are never read again; the grains called often stay in this LRU, and a miss costs one
    /// directory lookup (docs/DECISIONS.md, "A silo caches at most 100,000 grain locations").
    /// </summary>
    internal const int DirectoryCacheSize = 100_000;

    /// <summary>
    /// Declares a killed silo dead within seconds instead of the default ~30 s: short probes, two missed probes
    /// suffice, and the membership table is re-read often so survivors learn of the death quickly.
    /// </summary>
    private static void FastFailureDetection(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 2;
        o.NumVotesForDeathDeclaration = 1;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);
    }
}

/// <summary>Creates or upgrades the SQLite schema before grain storage initialises.</summary>
internal sealed class SqliteSchemaInitializer(string connectionString) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SqliteSchemaInitializer), ServiceLifecycleStage.RuntimeInitialize,
            ct => DatabaseSchema.ApplySqliteAsync(connectionString, ct));
}
