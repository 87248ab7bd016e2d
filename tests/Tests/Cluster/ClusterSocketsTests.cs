using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AuthCluster.Silo.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// Both ends of a cluster connection carry the unacknowledged-data limit and keep-alive, and still carry data.
/// What the limit does to a partitioned connection is shown by the fault lab (<c>PartitionScenarioTests</c>).
/// </summary>
public sealed class ClusterSocketsTests
{
    [SkippableFact]
    public async Task ClientAndSiloSockets_CarryTheLimit_AtBothEnds()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "TCP_USER_TIMEOUT is a Linux socket option");
        var silo = SiloServices();
        await using var siloProvider = silo.BuildServiceProvider();
        var listeners = KeysOf<IConnectionListenerFactory>(silo).Select(k => siloProvider.GetRequiredKeyedService<IConnectionListenerFactory>(k)).ToList();
        Assert.Equal(2, listeners.Count);

        var client = ClientServices();
        await using var clientProvider = client.BuildServiceProvider();
        var gateways = clientProvider.GetRequiredKeyedService<IConnectionFactory>(KeysOf<IConnectionFactory>(client).Single());
        var peers = siloProvider.GetRequiredKeyedService<IConnectionFactory>(KeysOf<IConnectionFactory>(silo).Single());

        foreach (var (listenerFactory, connections) in new[] { (listeners[0], peers), (listeners[1], gateways) })
        {
            await using var listener = await listenerFactory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
            var accepting = listener.AcceptAsync().AsTask();
            await using var outbound = await connections.ConnectAsync(listener.EndPoint);
            await using var inbound = (await accepting)!;

            AssertLimited(outbound);
            AssertLimited(inbound);
            await outbound.Transport.Output.WriteAsync("ping"u8.ToArray());
            var read = await inbound.Transport.Input.ReadAtLeastAsync(4);
            Assert.Equal("ping"u8.ToArray(), read.Buffer.ToArray());
            inbound.Transport.Input.AdvanceTo(read.Buffer.End);
        }
    }

    [Fact]
    public void WithoutOrleansRegistrations_StartingFails()
    {
        Assert.Throws<InvalidOperationException>(() => ClusterSockets.UseForClient(new ServiceCollection()));
        Assert.Throws<InvalidOperationException>(() => ClusterSockets.UseForSilo(new ServiceCollection()));
    }

    private static void AssertLimited(ConnectionContext connection)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()!.Socket;
        Span<byte> value = stackalloc byte[sizeof(int)];
        socket.GetRawSocketOption(6, 18, value); // IPPROTO_TCP, TCP_USER_TIMEOUT
        Assert.Equal((int)ClusterSockets.UnacknowledgedLimit.TotalMilliseconds, MemoryMarshal.Read<int>(value));
        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
    }

    /// <summary>An Orleans client's services with the API node's sockets (registered, not connected).</summary>
    private static IServiceCollection ClientServices()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => ClusterSockets.UseForClient(client.Services));
        return builder.Services;
    }

    private static IServiceCollection SiloServices()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => ClusterSockets.UseForSilo(silo.Services));
        return builder.Services;
    }

    private static List<object> KeysOf<T>(IServiceCollection services) =>
        [.. services.Where(s => s.ServiceType == typeof(T) && s.IsKeyedService).Select(s => s.ServiceKey!)];
}
