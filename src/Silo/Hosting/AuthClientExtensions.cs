using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Storage;
using Orleans.Configuration;

namespace AuthCluster.Silo.Hosting;

public static class AuthClientExtensions
{
    /// <summary>
    /// Joins the cluster the silos form, as a client: the same cluster and service ids, and the same membership
    /// source (the PostgreSQL membership table for <c>AdoNet</c> clustering, else the single node's gateway on
    /// localhost), and the same transport security (<c>Cluster:Tls</c>). API nodes in <c>Client</c> mode and the admin commands both connect this way.
    /// </summary>
    public static IClientBuilder UseAuthClustering(this IClientBuilder client, ClusterSettings cluster, StorageSettings storage)
    {
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        if (cluster.UsesAdoNetClustering)
        {
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = PostgreSqlConnections.ForOrleans(storage.ConnectionString);
            });
        }
        else
        {
            client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
        }

        return client.UseClusterTls(cluster);
    }
}
