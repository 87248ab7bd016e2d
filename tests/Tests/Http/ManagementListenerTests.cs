using System.Net;
using AuthCluster.Silo.Hosting;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AuthCluster.Tests.Http;

/// <summary>
/// The management listener of an API node: a real Kestrel listener of its own (<c>Management:Urls</c>) with
/// <c>/metrics</c> and the health endpoints; the public port serves health but never metrics.
/// </summary>
public sealed class ManagementListenerTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    private HttpClient Management => new() { BaseAddress = new Uri(_factory.Services.GetRequiredService<ManagementListener>().Addresses[0]) };

    [Fact]
    public async Task Metrics_AfterLogin_OnManagementListenerOnly()
    {
        var http = _factory.ClientFor();
        await http.RegisteredAsync();
        (await http.LoginAsync(TestApi.UniqueEmail("nobody"))).Dispose();

        using var management = Management;
        var text = await management.GetStringAsync("/metrics");
        using var publicMetrics = await _factory.CreateClient().GetAsync("/metrics");

        Assert.Contains("http_request_duration_seconds", text, StringComparison.Ordinal);
        Assert.Contains("authcluster_logins_total{outcome=\"invalid_credentials\"}", text, StringComparison.Ordinal);
        Assert.Contains("authcluster_registrations_total{outcome=\"registered\"}", text, StringComparison.Ordinal);
        Assert.Contains("orleans_catalog_activations{grain_type=\"session\"}", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/metrics")]
    public async Task ManagementEndpoint_RealKestrel_200WithNosniffAndNoServerHeader(string path)
    {
        using var management = Management;

        using var response = await management.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Empty(response.Headers.Server);
    }

    [Fact]
    public async Task Ready_OnBothListeners_ReportsClusterAndStorage()
    {
        using var management = Management;

        var onManagement = await (await management.GetAsync("/health/ready")).JsonAsync();
        var onPublic = await (await _factory.CreateClient().GetAsync("/health/ready")).JsonAsync();

        foreach (var report in new[] { onManagement, onPublic })
        {
            Assert.Equal("Healthy", report.GetProperty("status").GetString());
            Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("cluster").GetProperty("status").GetString());
            Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("storage").GetProperty("status").GetString());
        }
    }

    [Fact]
    public void Listener_ConfiguredLoopbackPort_ListensThereOnly()
    {
        var addresses = _factory.Services.GetRequiredService<ManagementListener>().Addresses;

        var address = Assert.Single(addresses);
        Assert.StartsWith("http://127.0.0.1:", address, StringComparison.Ordinal);
        Assert.NotEqual("http://127.0.0.1:0", address);
    }
}
