using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;

namespace AuthCluster.Tests.Telemetry;

/// <summary>
/// A silo and an API node in Client mode as real processes: grain-side counters (reuse detections, email deliveries)
/// show on the silo's management port, request-side ones on the API's, and neither on the public port. Each process
/// counts only its own events, so the values are exact.
/// </summary>
[ProcessLevel]
public sealed class MetricsProcessTests : IAsyncLifetime
{
    private readonly SingleNodeProcesses _processes = new("metrics");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _processes.DisposeAsync().AsTask();

    [Fact]
    public async Task ReuseAndResetEmail_CountedOnTheSilosManagementPort()
    {
        // Arrange
        var (port, apiManagement, siloManagement) = (FreePort(), FreePort(), FreePort());
        var common = _processes.Environment();
        var silo = _processes.Start("silo", Binaries.Silo, new(common) { ["Management__Urls"] = $"http://127.0.0.1:{siloManagement}" });
        var api = _processes.Start("api", Binaries.Api, new(common)
        {
            ["Cluster__Mode"] = "Client",
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Management__Urls"] = $"http://127.0.0.1:{apiManagement}",
            ["Auth__Clients__0__ClientId"] = AuthApiFactory.ClientA,
            ["Auth__Clients__0__Secret"] = AuthApiFactory.SecretA,
            ["Auth__Clients__0__ShopIds__0"] = "1",
            ["Auth__Clients__0__ResetUrlOrigins__0"] = "https://shop-a.example",
        });
        using var siloPort = Client(siloManagement);
        using var apiPort = Client(apiManagement);
        using var http = Client(port);
        http.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic(AuthApiFactory.ClientA, AuthApiFactory.SecretA);
        await silo.WaitUntilOkAsync(siloPort, "/health/ready", TimeSpan.FromSeconds(90));
        await api.WaitUntilOkAsync(http, "/health/ready", TimeSpan.FromSeconds(90));
        var email = TestApi.UniqueEmail("metrics");
        var first = await http.RegisteredAsync(email);
        Assert.True(RefreshTokenFormat.TryParse(first.RefreshToken, out var sessionId, out _));

        // Act: a secret this session never had
        using var replayed = await http.RefreshAsync(RefreshTokenFormat.Format(sessionId, RandomNumberGenerator.GetBytes(RefreshTokenFormat.SecretSize)));
        using var reset = await http.SendResetEmailAsync(email);

        // Assert: the email goes out asynchronously (the outbox), so the silo is polled for it.
        await replayed.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Equal(HttpStatusCode.Accepted, reset.StatusCode);
        var siloMetrics = "";
        await Poll.UntilAsync(
            async () => Scrape.Value(siloMetrics = await siloPort.GetStringAsync("/metrics"), "authcluster_email_deliveries_total{outcome=\"sent\"}") == 1,
            "the reset email counted as sent");
        var apiMetrics = await apiPort.GetStringAsync("/metrics");
        using var publicMetrics = await http.GetAsync("/metrics");

        Assert.Equal(1, Scrape.Value(siloMetrics, "authcluster_refresh_reuse_detections_total"));
        Assert.Equal(1, Scrape.Value(siloMetrics, "authcluster_session_revocations_total{reason=\"refresh_token_reuse\"}"));
        Assert.Null(Scrape.Value(apiMetrics, "authcluster_refresh_reuse_detections_total"));
        Assert.Equal(1, Scrape.Value(apiMetrics, "authcluster_registrations_total{outcome=\"registered\"}"));
        Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
    }

    // Generous: a cold node's first register (key ring, activations, JIT) on a loaded CI machine takes seconds.
    private static HttpClient Client(int port) => new() { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };

    private static int FreePort() => TestSilo.FreePort();
}
