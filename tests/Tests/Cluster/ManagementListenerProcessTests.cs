using System.Globalization;
using System.Net;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// The built API and silo as real processes in Production configuration, on real Kestrel: the management listener
/// serves probes and metrics on its own port; the public port sends no <c>Server</c> header, has no
/// <c>/metrics</c> and, in Production, no OpenAPI document.
/// </summary>
[ProcessLevel]
public sealed class ManagementListenerProcessTests : IAsyncLifetime
{
    private readonly SingleNodeProcesses _processes = new("management");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _processes.DisposeAsync().AsTask();

    [Fact]
    public async Task Silo_ManagementListener_ServesProbesAndMetrics()
    {
        var management = FreePort();
        var environment = _processes.Environment();
        environment["Management__Urls"] = $"http://127.0.0.1:{management}";
        var silo = _processes.Start("silo", Binaries.Silo, environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{management}"), Timeout = TimeSpan.FromSeconds(10) };

        await WaitForAsync(silo, http, "/health/ready");
        using var live = await http.GetAsync("/health/live");
        using var ready = await http.GetAsync("/health/ready");
        using var metrics = await http.GetAsync("/metrics");
        var text = await metrics.Content.ReadAsStringAsync();

        foreach (var response in new[] { live, ready, metrics })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(response.Headers.Server);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }

        Assert.Equal("Healthy", (await ready.JsonAsync()).GetProperty("checks").GetProperty("silo").GetProperty("status").GetString());
        Assert.Contains("orleans_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_Production_PublicPortHasNoServerHeaderNoMetricsNoOpenApi()
    {
        var (port, management) = (FreePort(), FreePort());
        var environment = _processes.Environment();
        environment["Urls"] = $"http://127.0.0.1:{port}";
        environment["Management__Urls"] = $"http://127.0.0.1:{management}";
        environment["Auth__Clients__0__ClientId"] = AuthApiFactory.ClientA;
        environment["Auth__Clients__0__Secret"] = AuthApiFactory.SecretA;
        environment["Auth__Clients__0__ShopIds__0"] = "1";
        var api = _processes.Start("api", Binaries.Api, environment);
        using var publicPort = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        using var managementPort = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{management}"), Timeout = TimeSpan.FromSeconds(10) };

        await WaitForAsync(api, publicPort, "/health/ready");
        using var ready = await publicPort.GetAsync("/health/ready");
        using var unauthenticated = await publicPort.PostAsync("/v1/auth/login", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        using var publicMetrics = await publicPort.GetAsync("/metrics");
        using var openApi = await publicPort.GetAsync("/openapi/v1.json");
        using var metrics = await managementPort.GetAsync("/metrics");
        using var managementReady = await managementPort.GetAsync("/health/ready");

        foreach (var response in new[] { ready, unauthenticated, publicMetrics, openApi, metrics, managementReady })
        {
            Assert.Empty(response.Headers.Server);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        await unauthenticated.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, openApi.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("authcluster_client_authentication_failures_total", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, managementReady.StatusCode);
    }

    private static Task WaitForAsync(NodeProcess node, HttpClient http, string path) =>
        node.WaitUntilOkAsync(http, path, TimeSpan.FromSeconds(90));

    private static int FreePort() => TestSilo.FreePort();
}
