using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace AuthCluster.Silo.Hosting;

/// <summary>The silo's management listener: metrics and probes on <c>Management:Urls</c>.</summary>
public static class SiloManagement
{
    /// <summary>Adds the management listener and the silo's readiness check; call before <c>UseAuthSilo</c>.</summary>
    public static IHostApplicationBuilder AddSiloManagement(this IHostApplicationBuilder builder)
    {
        builder.AddManagementListener(ManagementListener.SiloDefaultUrls);
        builder.Services.AddHealthChecks().AddCheck<SiloReadinessCheck>("silo", tags: [ManagementListener.ReadyTag]);
        return builder;
    }
}

/// <summary>
/// A silo is ready once it is an active member of the cluster and grain storage answers; before it has joined, or
/// while it is shutting down or the database is unreachable, it is not. (Liveness asks nothing of either.)
/// </summary>
internal sealed class SiloReadinessCheck(IClusterMembershipService membership, ILocalSiloDetails silo, IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan StoragePatience = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        if (status != SiloStatus.Active)
        {
            return HealthCheckResult.Unhealthy($"The silo is {status}, not an active member of the cluster.");
        }

        try
        {
            await grains.GetGrain<IHealthGrain>(0).CheckStorage().WaitAsync(StoragePatience, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Grain storage unavailable ({exception.GetType().Name}).");
        }
    }
}
