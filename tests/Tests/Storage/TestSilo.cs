using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;

namespace AuthCluster.Tests.Storage;

/// <summary>A real silo in its own generic host, so tests exercise providers exactly as production wires them.</summary>
internal sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private TestSilo(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public static Task<TestSilo> StartAsync(Action<ISiloBuilder> configure) => StartAsync(builder => builder.UseOrleans(configure));

    public static async Task<TestSilo> StartAsync(Action<HostApplicationBuilder> configure)
    {
        // No defaults: the test run's environment and appsettings must not leak into the silo.
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        configure(builder);
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.StartAsync(timeout.Token);
        return new TestSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        finally
        {
            _host.Dispose();
        }
    }

    /// <summary>An unused loopback port. Racy in theory, good enough for tests on one machine.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
