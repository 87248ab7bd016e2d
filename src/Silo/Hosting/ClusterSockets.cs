using System.Runtime.InteropServices;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AuthCluster.Silo.Hosting;

/// <summary>
/// The cluster's TCP connections (API node to gateway, silo to silo), made so that one whose peer has silently gone
/// out of reach fails within <see cref="UnacknowledgedLimit"/> at both of its ends, and a silo that lost its
/// connection to an API node answers that node through its other gateways within <see cref="ClientDropTimeout"/>.
/// </summary>
/// <remarks>
/// A network that drops packets (a partition, a node whose network died, a removed route) sends no reset, so the
/// kernel retransmits for about 15 minutes and the connection stays in use. Orleans then keeps routing a share of
/// the API node's calls into it, and — worse — the silo at the other end keeps every message for that API node: a
/// silo answers a client through its own gateway whenever the client is connected there, even when the call came
/// in through another gateway, and holds those answers for a client that was connected until Orleans' client drop
/// timeout (1 minute) has passed. In the fault lab an API node cut off from one silo failed every call to a grain on
/// that silo for the whole partition and for up to 26 s after it healed.
/// <para>
/// <c>TCP_USER_TIMEOUT</c> makes the kernel drop a connection whose sent data stays unacknowledged that long, and
/// keep-alive probes one that is idle (the acknowledgements come from the peer's kernel, so a busy or pausing peer
/// process does not trip the limit). Orleans' own socket transport offers keep-alive only, so these factories take its
/// place; the framing and TLS above them are Orleans' own. A short client drop timeout then makes the silo forget the
/// unreachable connection and route the node's answers through a gateway that reaches it.
/// </para>
/// </remarks>
public static class ClusterSockets
{
    /// <summary>How long data sent on a cluster connection may stay unacknowledged before the connection is dropped.</summary>
    public static readonly TimeSpan UnacknowledgedLimit = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a silo's gateway keeps messages for an API node whose connection it lost (it looks once per this
    /// period, so it lets go after one to two of them). An API node reconnects within about a second when it can, and
    /// its calls are repeated where that is safe, so waiting longer only holds answers back.
    /// </summary>
    public static readonly TimeSpan ClientDropTimeout = TimeSpan.FromSeconds(2);

    private const int IpProtoTcp = 6;
    private const int TcpUserTimeout = 18; // linux/tcp.h

    /// <summary>The API node (an Orleans client): its connections to the gateways.</summary>
    public static void UseForClient(IServiceCollection services)
    {
        Replace<IConnectionFactory>(services, 1, NewConnectionFactory);
        services.AddSingleton<ConnectionContexts>();
    }

    /// <summary>A silo: its connections to other silos, the connections it accepts, and how long it waits for a lost client.</summary>
    public static void UseForSilo(IServiceCollection services)
    {
        services.Configure<SiloMessagingOptions>(o => o.ClientDropTimeout = ClientDropTimeout);
        Replace<IConnectionFactory>(services, 1, NewConnectionFactory);
        services.AddSingleton<ConnectionContexts>();
        Replace<IConnectionListenerFactory>(services, 2, static (services, _) => services.GetRequiredService<Listeners>().Factory);
        services.AddSingleton<Listeners>();
    }

    /// <summary>Keep-alive and the unacknowledged-data limit; an accepted socket inherits both from its listener.</summary>
    internal static void Configure(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 5);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        if (OperatingSystem.IsLinux())
        {
            var milliseconds = (int)UnacknowledgedLimit.TotalMilliseconds;
            socket.SetRawSocketOption(IpProtoTcp, TcpUserTimeout, MemoryMarshal.AsBytes(new ReadOnlySpan<int>(ref milliseconds)));
        }
    }

    private static IConnectionFactory NewConnectionFactory(IServiceProvider services, object? key) =>
        new ClusterConnectionFactory(services.GetRequiredService<ConnectionContexts>());

    /// <summary>
    /// Orleans registers its socket transport under keys of its own that it keeps internal, so the registrations are
    /// found by what they are; a different count means Orleans changed, and starting fails rather than run without.
    /// </summary>
    private static void Replace<T>(IServiceCollection services, int expected, Func<IServiceProvider, object?, T> factory)
        where T : class
    {
        var registrations = services.Where(s => s.ServiceType == typeof(T) && s.IsKeyedService).ToList();
        if (registrations.Count != expected)
        {
            throw new InvalidOperationException($"Expected Orleans' {expected} keyed {typeof(T).Name} registration(s), found {registrations.Count}.");
        }

        foreach (var registration in registrations)
        {
            services.Remove(registration);
            services.AddKeyedSingleton(registration.ServiceKey, factory);
        }
    }

    /// <summary>Turns a connected socket into a connection (Kestrel's socket transport, which Orleans' copies).</summary>
    internal sealed class ConnectionContexts(ILoggerFactory loggers) : IDisposable
    {
        public SocketConnectionContextFactory Factory { get; } = new(
            new SocketConnectionFactoryOptions
            {
                // As Orleans' own transport: no buffer limits of its own (Orleans bounds messages) and no zero-byte
                // read before each receive (one system call per read fewer under load).
                WaitForDataBeforeAllocatingBuffer = false,
                MaxReadBufferSize = null,
                MaxWriteBufferSize = null,
            },
            loggers.CreateLogger<ConnectionContexts>());

        public void Dispose() => Factory.Dispose();
    }

    internal sealed class Listeners(ILoggerFactory loggers)
    {
        public IConnectionListenerFactory Factory { get; } = new SocketTransportFactory(
            Options.Create(new SocketTransportOptions
            {
                WaitForDataBeforeAllocatingBuffer = false,
                MaxReadBufferSize = null,
                MaxWriteBufferSize = null,
                CreateBoundListenSocket = Bind,
            }),
            loggers);
    }

    /// <summary>A listening socket as Orleans binds one: the address reusable at once after a restart.</summary>
    private static Socket Bind(EndPoint endpoint)
    {
        var socket = NewSocket(endpoint.AddressFamily);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (endpoint is IPEndPoint ip && Equals(ip.Address, IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endpoint);
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// As Orleans makes its sockets (no Nagle delay; a reset rather than a lingering close, so that reconnecting nodes
    /// leave no TIME_WAIT behind), plus <see cref="Configure"/>.
    /// </summary>
    private static Socket NewSocket(AddressFamily family)
    {
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        Configure(socket);
        return socket;
    }

    private sealed class ClusterConnectionFactory(ConnectionContexts contexts) : IConnectionFactory
    {
        public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
        {
            var socket = NewSocket(endpoint.AddressFamily);
            try
            {
                await socket.ConnectAsync(endpoint, cancellationToken);
                return contexts.Factory.Create(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }
}
