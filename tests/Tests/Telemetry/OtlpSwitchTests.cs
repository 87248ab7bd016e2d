using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AuthCluster.Tests.Telemetry;

/// <summary>OpenTelemetry costs nothing unless an OTLP endpoint is configured: no provider, hence no span recorded.</summary>
public sealed class OtlpSwitchTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public void NoOtlpEndpoint_NoProviders()
    {
        Assert.Null(fixture.Factory.Services.GetService<TracerProvider>());
        Assert.Null(fixture.Factory.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task OtlpEndpoint_TracerAndMeterProviders()
    {
        // Nothing listens there; exports fail quietly in the background.
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });

        Assert.NotNull(factory.Services.GetService<TracerProvider>());
        Assert.NotNull(factory.Services.GetService<MeterProvider>());
    }
}
