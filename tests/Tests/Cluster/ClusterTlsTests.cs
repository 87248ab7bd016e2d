using System.Security.Cryptography.X509Certificates;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Hosting;
using AuthCluster.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Connections.Security;
using Orleans.Hosting;
using Orleans.Runtime;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// Cluster TLS (<c>Cluster:Tls</c>): the certificate files, their rotation, the start-up rule, and a real silo's
/// gateway that admits clients of its own CA only.
/// </summary>
public sealed class ClusterTlsTests : IDisposable
{
    /// <summary>How long a client without a valid certificate is given to make one call (a member needs well under a second).</summary>
    private static readonly TimeSpan Intruder = TimeSpan.FromSeconds(10);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authcluster-tls-tests", Guid.NewGuid().ToString("N")[..12]);
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("authcluster-test-ca");
    private readonly TestCertificateAuthority _otherCa = TestCertificateAuthority.Create("someone-elses-ca");

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [Fact]
    public void Load_CertManagerLayout_PresentsNodeCertificateAndTrustsOwnCaOnly()
    {
        // Arrange
        var node = _ca.IssueTo(Path.Combine(_directory, "node"), "node-1");
        var peer = _ca.IssueTo(Path.Combine(_directory, "peer"), "node-2");
        var stranger = _otherCa.IssueTo(Path.Combine(_directory, "stranger"), "node-2");

        // Act
        var certificates = ClusterCertificates.Load(Settings(node), TimeProvider.System);
        using var peerCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(peer, "tls.crt")));
        using var strangerCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(stranger, "tls.crt")));

        // Assert
        Assert.Equal("CN=node-1", certificates.Current.Subject);
        Assert.True(certificates.Current.HasPrivateKey);
        Assert.True(certificates.IsIssuedByClusterCa(peerCertificate));
        Assert.False(certificates.IsIssuedByClusterCa(strangerCertificate));
    }

    [Fact]
    public void Load_MissingKeyFile_FailsNamingDirectoryAndFiles()
    {
        // Arrange
        var node = _ca.IssueTo(Path.Combine(_directory, "node"));
        File.Delete(Path.Combine(node, "tls.key"));

        // Act
        var error = Assert.Throws<InvalidOperationException>(() => ClusterCertificates.Load(Settings(node), TimeProvider.System));

        // Assert
        Assert.Contains(node, error.Message, StringComparison.Ordinal);
        Assert.Contains("tls.key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CertificateOfAnotherCa_FailsSayingItDoesNotChain()
    {
        // Arrange
        var node = _otherCa.IssueTo(Path.Combine(_directory, "node"));
        File.Copy(_ca.IssueTo(Path.Combine(_directory, "ours"), "x") + "/ca.crt", Path.Combine(node, "ca.crt"), overwrite: true);

        // Act
        var error = Assert.Throws<InvalidOperationException>(() => ClusterCertificates.Load(Settings(node), TimeProvider.System));

        // Assert
        Assert.Contains("does not chain to ca.crt", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Current_FilesRotated_NewCertificateAfterReloadIntervalOnly()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var node = _ca.IssueTo(Path.Combine(_directory, "node"), "before");
        var certificates = ClusterCertificates.Load(Settings(node), time);

        // Act
        _ca.IssueTo(node, "after");
        var beforeInterval = certificates.Current.Subject;
        time.Advance(TimeSpan.FromMinutes(1));
        var afterInterval = certificates.Current.Subject;

        // Assert
        Assert.Equal("CN=before", beforeInterval);
        Assert.Equal("CN=after", afterInterval);
    }

    [Fact]
    public void Current_RotationCaughtHalfWritten_KeepsWorkingCertificateThenTakesNewOne()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var node = _ca.IssueTo(Path.Combine(_directory, "node"), "before");
        var certificates = ClusterCertificates.Load(Settings(node), time);
        var next = _ca.IssueTo(Path.Combine(_directory, "next"), "after");

        // Act
        File.Copy(Path.Combine(next, "tls.crt"), Path.Combine(node, "tls.crt"), overwrite: true); // the key is still the old one
        time.Advance(TimeSpan.FromMinutes(1));
        var midSwap = certificates.Current.Subject;
        File.Copy(Path.Combine(next, "tls.key"), Path.Combine(node, "tls.key"), overwrite: true);
        time.Advance(TimeSpan.FromMinutes(1));
        var afterSwap = certificates.Current.Subject;

        // Assert
        Assert.Equal("CN=before", midSwap);
        Assert.Equal("CN=after", afterSwap);
    }

    [Theory]
    [InlineData("AdoNet", "Production", false, false)]
    [InlineData("AdoNet", "Production", true, true)]
    [InlineData("AdoNet", "Development", false, true)]
    [InlineData("Localhost", "Production", false, true)]
    public void Requirement_NoCertificates_RefusedOnlyForAdoNetOutsideDevelopmentWithoutOptOut(string clustering, string environment, bool disabled, bool starts)
    {
        // Arrange
        var cluster = new ClusterSettings { Clustering = clustering, Tls = { Disabled = disabled } };
        var requirement = new ClusterTlsRequirement(cluster, certificates: null, new TestEnvironment(environment), NullLogger<ClusterTlsRequirement>.Instance);

        // Act
        var result = requirement.Validate(Options.DefaultName, cluster.Tls);

        // Assert
        Assert.Equal(starts, result.Succeeded);
        if (!starts)
        {
            Assert.Contains("Cluster:Tls:Directory", result.FailureMessage, StringComparison.Ordinal);
            Assert.Contains("Cluster:Tls:Disabled=true", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Gateway_ClientOfClusterCa_Served_ClientsWithOtherCaNoCertificateOrNoTls_Refused()
    {
        // Arrange
        var (siloPort, gatewayPort) = (TestSilo.FreePort(), TestSilo.FreePort());
        await using var silo = await TestSilo.StartAsync(s => s
            .UseLocalhostClustering(siloPort, gatewayPort, serviceId: "tls-test", clusterId: "tls-test")
            .UseClusterTls(Cluster(_ca.IssueTo(Path.Combine(_directory, "silo"), "silo"))));
        var member = Cluster(_ca.IssueTo(Path.Combine(_directory, "member"), "api"));
        using var foreignCertificate = LoadCertificate(_otherCa.IssueTo(Path.Combine(_directory, "stranger"), "api"));

        // Act
        var memberCall = await CallThroughGatewayAsync(gatewayPort, client => client.UseClusterTls(member), TimeSpan.FromSeconds(30));
        // The intruders trust any silo certificate, so a failure can only be the gateway refusing them. They keep
        // retrying until the time is up, so they run side by side.
        var refused = await Task.WhenAll(
            CallThroughGatewayAsync(gatewayPort, client => client.UseTls(foreignCertificate, o => o.AllowAnyRemoteCertificate()), Intruder),
            CallThroughGatewayAsync(gatewayPort, client => client.UseTls(o =>
            {
                o.ClientCertificateMode = RemoteCertificateMode.NoCertificate;
                o.AllowAnyRemoteCertificate();
            }), Intruder),
            CallThroughGatewayAsync(gatewayPort, _ => { }, Intruder));

        // Assert
        Assert.True(memberCall is null, $"a client with a certificate of the cluster's CA failed: {memberCall}");
        Assert.All(refused, Assert.NotNull);
    }

    /// <summary>Starts a client and makes one call through the gateway; returns why that failed, or null.</summary>
    private static async Task<Exception?> CallThroughGatewayAsync(int gatewayPort, Action<IClientBuilder> transport, TimeSpan within)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort, "tls-test", "tls-test");
            transport(client);
        });
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await host.StartAsync(timeout.Token);
            var hosts = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)
                .WaitAsync(timeout.Token);
            return hosts.Count == 1 ? null : new InvalidOperationException($"{hosts.Count} silos seen");
        }
        catch (Exception exception)
        {
            return exception;
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await host.StopAsync(stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                // A client that never connected has little to stop.
            }
        }
    }

    private static X509Certificate2 LoadCertificate(string directory) =>
        X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory, "tls.crt")), File.ReadAllText(Path.Combine(directory, "tls.key")));

    private static ClusterTlsSettings Settings(string directory) => new() { Directory = directory };

    private static ClusterSettings Cluster(string directory) => new() { Tls = Settings(directory) };

    private sealed class TestEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "AuthCluster.Tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
