using System.Text.Json;
using System.Text.Json.Serialization;
using AuthCluster.Api.Clients;
using AuthCluster.Api.Endpoints;
using AuthCluster.Api.Http;
using AuthCluster.Api.OpenApi;
using AuthCluster.Api.Tokens;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Prometheus;

namespace AuthCluster.Api.Hosting;

public static class AuthApiExtensions
{
    /// <summary>Everything the API needs; in <c>Embedded</c> mode also the in-process silo.</summary>
    public static WebApplicationBuilder AddAuthApi(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        configuration.AddKeyPerFileDirectory();
        var cluster = ClusterSettings.From(configuration);

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes;
            k.AddServerHeader = false;
        });
        if (string.IsNullOrEmpty(configuration["Urls"]) && string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://localhost:5080");
        }

        // Before the silo or cluster client: hosted services start in order, and probes need an answer meanwhile.
        builder.AddManagementListener(ManagementListener.ApiDefaultUrls);
        builder.AddAuthTelemetry(Telemetry.Api);

        if (cluster.IsEmbedded)
        {
            // The one place the API touches src/Silo; everything else goes through grain interfaces.
            builder.UseAuthSilo();
        }
        else
        {
            builder.UseOrleansClient(client => client.AddAuthClient(cluster, StorageSettings.From(configuration)));

            // The Orleans client's start blocks until it reaches a gateway (it keeps retrying); started one after
            // the other, Kestrel would not listen meanwhile. Side by side, /health/live answers at once and
            // /health/ready says 503 until the cluster is reachable.
            builder.Services.Configure<HostOptions>(o =>
            {
                o.ServicesStartConcurrently = true;
                o.ShutdownTimeout = cluster.ShutdownTimeout;
            });
        }

        var services = builder.Services;
        services.AddAuthCore(configuration);
        // Bound without a change-token source: ApiClientRegistry follows configuration changes itself and validates
        // each new set before it takes effect.
        services.AddOptions<ClientsOptions>().Configure<IConfiguration>((o, c) => c.GetSection(AuthOptions.Section).Bind(o)).ValidateOnStart();
        services.AddSingleton<ClientsSetup>();
        services.AddSingleton<IConfigureOptions<ClientsOptions>>(sp => sp.GetRequiredService<ClientsSetup>());
        services.AddSingleton<IValidateOptions<ClientsOptions>>(sp => sp.GetRequiredService<ClientsSetup>());
        services.AddSingleton<ApiClientRegistry>();
        services.AddSingleton<SigningKeyCache>();
        services.AddHostedService(sp => sp.GetRequiredService<SigningKeyCache>());
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<RevocationView>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationView>());
        services.AddSingleton<AccessTokenValidator>();
        services.AddSingleton<AuthMetrics>();
        services.AddSingleton<SecurityLog>();
        services.AddMemoryCache(o => o.SizeLimit = 200_000);
        services.AddAuthRateLimiting(configuration);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            // The contract's numbers are JSON numbers: "1" is not a shop id (the web default would read it as one).
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemContract.Customize);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddAuthOpenApi();
        services.AddHealthChecks()
            .AddCheck<ClusterHealthCheck>("cluster", tags: [ManagementListener.ReadyTag])
            .AddCheck<StorageHealthCheck>("storage", failureStatus: HealthStatus.Degraded, tags: [ManagementListener.ReadyTag])
            .AddCheck<EmailHealthCheck>("email", tags: [ManagementListener.ReadyTag]);
        services.AddHostedService<StartupBanner>();
        return builder;
    }

    /// <summary>The HTTP pipeline and every endpoint of the contract.</summary>
    public static WebApplication MapAuthEndpoints(this WebApplication app)
    {
        app.Use(SecurityHeaders.Apply);
        // Outside the exception handler, so that the status an error is answered with is the one counted.
        app.UseHttpMetrics();
        app.UseExceptionHandler();
        app.Use(OversizedBodies.Reject);
        app.Use(NoStoreOnApiResponses);
        app.Use(ClientAuthentication.Authenticate);
        app.UseRateLimiter();

        var v1 = app.MapGroup("/v1");
        v1.MapAuthEndpoints();
        v1.MapPasswordEndpoints();
        v1.MapOAuthEndpoints();
        app.MapDiscoveryEndpoints();

        // Health here too (the contract lists it on the public port); /metrics only on the management listener.
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains(ManagementListener.ReadyTag), ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapAuthOpenApi();
        return app;
    }

    private static void AddAuthClient(this IClientBuilder client, ClusterSettings cluster, StorageSettings storage)
    {
        client.UseAuthClustering(cluster, storage);

        // Fail a call to a dead silo in seconds, not the default 30 s; the caller gets 503 and retries.
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = FailurePolicy.ClientResponseTimeout);
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        ClusterSockets.UseForClient(client.Services);
        client.UseConnectionRetryFilter<ClusterConnectionRetryFilter>();
        client.Services.AddSingleton<SiloLossSignal>();
        client.Services.AddSingleton<IClusterConnectionStatusObserver>(services => services.GetRequiredService<SiloLossSignal>());
        client.AddOutgoingGrainCallFilter<GrainCallRetryFilter>();
    }

    // Token responses and everything else under /v1 concern credentials: no cache may keep them.
    private static Task NoStoreOnApiResponses(HttpContext context, Func<Task> next)
    {
        if (context.Request.Path.StartsWithSegments("/v1"))
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.CacheControl = "no-store";
                context.Response.Headers.Pragma = "no-cache";
                return Task.CompletedTask;
            });
        }

        return next();
    }
}

/// <summary>
/// Ready when a silo answers: the node can serve (validation and introspection answer from memory). Asks the
/// management grain for the silos' runtime statistics, which no silo reads from the database, so that a database
/// outage does not make every API node look dead; <see cref="StorageHealthCheck"/> reports that one.
/// </summary>
internal sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<IManagementGrain>(0).GetRuntimeStatistics([], cancellationToken).WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Not connected to the cluster ({exception.GetType().Name}).");
        }
    }
}

/// <summary>
/// Grain storage answers. Registered as degraded on failure (still 200): without the database, writes answer 503 but
/// validation and introspection keep serving, so the node stays in rotation and operators see why writes fail.
/// </summary>
internal sealed class StorageHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<IHealthGrain>(0).CheckStorage().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Storage unavailable ({exception.GetType().Name}): writes answer 503.");
        }
    }
}

/// <summary>
/// Degraded (still 200: logins work) while the email provider refuses our credentials, so that an operator sees
/// that reset emails are queueing. Observed where emails are sent: in Embedded mode that is this process; an API
/// node in Client mode has no sender and reports healthy (the silos log the error).
/// </summary>
internal sealed class EmailHealthCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(services.GetService<IEmailDeliveryHealth>()?.ProblemDescription is { } problem
            ? HealthCheckResult.Degraded(problem)
            : HealthCheckResult.Healthy());
}

/// <summary>Tells a developer which client to use; prints ids only, plus the secret of the well-known development client.</summary>
internal sealed partial class StartupBanner(IOptions<ClientsOptions> clients, IHostEnvironment environment, ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var client in clients.Value.Clients)
        {
            if (environment.IsDevelopment() && client.ClientId == ClientsSetup.DevelopmentClientId)
            {
                LogDevelopmentClient(logger, client.ClientId, ClientsSetup.DevelopmentSecret, string.Join(",", client.ShopIds));
            }
            else
            {
                LogClient(logger, client.ClientId, string.Join(",", client.ShopIds));
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Development API client: client_id={ClientId} client_secret={Secret} shop_ids={ShopIds} (Development only; configure Auth:Clients for anything else)")]
    private static partial void LogDevelopmentClient(ILogger logger, string clientId, string secret, string shopIds);

    [LoggerMessage(Level = LogLevel.Information, Message = "API client {ClientId} serves shops {ShopIds}")]
    private static partial void LogClient(ILogger logger, string clientId, string shopIds);
}
