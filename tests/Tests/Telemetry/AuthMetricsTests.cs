using System.Net;
using System.Security.Cryptography;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Silo.Hosting;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AuthCluster.Tests.Telemetry;

/// <summary>
/// AuthCluster's own counters on the management listener of an API node with its embedded silo: the grain side
/// (reuse detection, revocation) and the API side (validation) land in the same process, as Prometheus counters.
/// </summary>
public sealed class AuthMetricsTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const string ReuseDetections = "authcluster_refresh_reuse_detections_total";
    private const string ReuseRevocations = "authcluster_session_revocations_total{reason=\"refresh_token_reuse\"}";
    private const string ActiveValidations = "authcluster_validations_total{outcome=\"active\"}";

    private readonly AuthApiFactory _factory = fixture.Factory;

    [Fact]
    public async Task ReplayedRefreshToken_CountedOnManagementListenerOnly()
    {
        // Arrange: counters are per process and other tests' hosts share it, so the test compares before and after.
        using var management = new HttpClient { BaseAddress = new Uri(_factory.Services.GetRequiredService<ManagementListener>().Addresses[0]) };
        var before = await management.GetStringAsync("/metrics");
        var http = _factory.ClientFor();
        var first = await http.RegisteredAsync();
        using var validate = await _factory.BearerClient(first.AccessToken).GetAsync("/v1/oauth/token/validate");
        using var rotated = await http.RefreshAsync(first.RefreshToken);
        Assert.True(RefreshTokenFormat.TryParse(first.RefreshToken, out var sessionId, out _));

        // Act: a secret of this session that is neither its current token nor one retired within the grace window.
        using var replayed = await http.RefreshAsync(RefreshTokenFormat.Format(sessionId, RandomNumberGenerator.GetBytes(RefreshTokenFormat.SecretSize)));

        // Assert
        var after = await management.GetStringAsync("/metrics");
        using var publicMetrics = await _factory.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, validate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        await replayed.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        Assert.True(Scrape.Value(after, ReuseDetections) >= (Scrape.Value(before, ReuseDetections) ?? 0) + 1, after);
        Assert.True(Scrape.Value(after, ReuseRevocations) >= (Scrape.Value(before, ReuseRevocations) ?? 0) + 1, after);
        Assert.True(Scrape.Value(after, ActiveValidations) >= (Scrape.Value(before, ActiveValidations) ?? 0) + 1, after);
        Assert.Contains($"# TYPE {ReuseDetections} counter", after, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
    }
}
