using System.Globalization;
using System.Net;
using System.Reflection;
using AuthCluster.Tests.Faults;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Npgsql;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// A cluster of real processes on loopback: silos (<c>src/Silo</c>) and API nodes in <c>Client</c> mode
/// (<c>src/Api</c>), run from their build output in Production configuration with every setting given
/// explicitly, on a database of their own that <c>schema apply</c> created. Nothing is built at run time.
/// Cluster traffic is TLS with client certificates, as in production: every node gets a certificate of the
/// cluster's own throw-away CA.
/// <para>
/// Given a <see cref="PodNetwork"/>, every node runs in a network namespace of its own on the network's bridge, with
/// its own address (advertised as a pod IP would be) and the same fixed ports in every pod, so that partitions
/// between single nodes can be made (<see cref="PodNetwork.Partition"/>). Otherwise everything is on loopback.
/// </para>
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    public const string ClientId = AuthApiFactory.ClientA;
    public const string ClientSecret = AuthApiFactory.SecretA;
    public const long ShopId = AuthApiFactory.ShopA;

    /// <summary>Where password-reset links of the test client may point.</summary>
    public const string ResetUrlOrigin = "https://shop-a.example";

    private readonly List<NodeProcess> _nodes = [];
    private readonly HashSet<NodeProcess> _stopped = [];
    private readonly string _clusterId = "fault-" + Guid.NewGuid().ToString("N")[..10];
    private int _siloCount;
    private int _apiCount;

    /// <summary>The ports of every pod on a <see cref="PodNetwork"/>: each pod has its own address, so they never clash.</summary>
    private const int PodSiloPort = 11111;
    private const int PodGatewayPort = 30000;
    private const int PodHttpPort = 8080;
    private const int PodManagementPort = 8081;

    private readonly PodNetwork? _network;

    private ProcessCluster(string connectionString, string logDirectory, PodNetwork? network)
    {
        ConnectionString = connectionString;
        LogDirectory = logDirectory;
        _network = network;
    }

    public string ConnectionString { get; }

    public string ClusterId => _clusterId;

    public string LogDirectory { get; }

    public List<SiloNode> Silos { get; } = [];

    public List<ApiNode> Apis { get; } = [];

    /// <summary>Extra settings for every node, e.g. to shorten a timeout in one test.</summary>
    public Dictionary<string, string> Overrides { get; } = [];

    /// <summary>The CA of this cluster's certificates, e.g. to issue one to a client a test starts itself.</summary>
    public TestCertificateAuthority CertificateAuthority { get; } = TestCertificateAuthority.Create("authcluster-test-ca");

    /// <summary>The directory every node reads its certificate from (<c>Cluster:Tls:Directory</c>).</summary>
    public string TlsDirectory => Path.Combine(LogDirectory, "tls");

    /// <summary>Creates a fresh database on <paramref name="serverConnectionString"/> and applies the schema with the real command.</summary>
    /// <remarks>With <paramref name="network"/>, nodes start in pods of it (the server must be reachable from there).</remarks>
    public static async Task<ProcessCluster> CreateAsync(string serverConnectionString, string testName, PodNetwork? network = null)
    {
        var connectionString = await CreateDatabaseAsync(serverConnectionString);
        var logs = Path.Combine(Path.GetTempPath(), "authcluster-cluster-tests", $"{DateTime.UtcNow:HHmmss}-{testName}-{Guid.NewGuid():N}"[..32]);
        var cluster = new ProcessCluster(connectionString, logs, network);
        cluster.CertificateAuthority.IssueTo(cluster.TlsDirectory, "authcluster-node");
        var (exitCode, output) = await cluster.RunSiloCommandAsync("schema", "apply");
        Assert.True(exitCode == 0, $"schema apply failed ({exitCode}): {output}");
        return cluster;
    }

    public Task<(int ExitCode, string Output)> RunSiloCommandAsync(params string[] arguments) =>
        NodeProcess.RunAsync(Binaries.Silo, CommonEnvironment(), LogDirectory, TimeSpan.FromSeconds(60), arguments);

    /// <summary>
    /// Starts a silo; on a pod network in a new pod, or in <paramref name="pod"/> (a restarted container: the same
    /// address and ports, a new process and membership generation).
    /// </summary>
    public SiloNode StartSilo(PodSandbox? pod = null)
    {
        var name = $"silo{++_siloCount}";
        pod ??= _network?.AddPod(name);
        var address = pod?.Address ?? IPAddress.Loopback;
        var siloPort = pod is null ? FreePort() : PodSiloPort;
        var environment = CommonEnvironment(pod);
        environment["Cluster__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
        environment["Cluster__GatewayPort"] = (pod is null ? FreePort() : PodGatewayPort).ToString(CultureInfo.InvariantCulture);
        environment["Cluster__AdvertisedIP"] = address.ToString();
        environment["Cluster__SiloName"] = name;
        var silo = new SiloNode(NodeProcess.Start(name, Binaries.Silo, environment, LogDirectory, pod?.NetworkNamespace), new IPEndPoint(address, siloPort), pod);
        _nodes.Add(silo.Process);
        Silos.Add(silo);
        return silo;
    }

    public ApiNode StartApi()
    {
        var name = $"api{++_apiCount}";
        var pod = _network?.AddPod(name);
        var address = pod?.Address ?? IPAddress.Loopback;
        var port = pod is null ? FreePort() : PodHttpPort;
        var environment = CommonEnvironment(pod);
        environment["Cluster__Mode"] = "Client";
        environment["Urls"] = $"http://{address}:{port}";
        environment["Auth__Clients__0__ClientId"] = ClientId;
        environment["Auth__Clients__0__Secret"] = ClientSecret;
        environment["Auth__Clients__0__ShopIds__0"] = ShopId.ToString(CultureInfo.InvariantCulture);
        environment["RateLimiting__PermitLimit"] = "10000000";
        environment["Auth__Clients__0__ResetUrlOrigins__0"] = ResetUrlOrigin;
        var api = new ApiNode(NodeProcess.Start(name, Binaries.Api, environment, LogDirectory, pod?.NetworkNamespace), new Uri($"http://{address}:{port}"), pod);
        _nodes.Add(api.Process);
        Apis.Add(api);
        return api;
    }

    /// <summary>Starts <paramref name="silos"/> silos and <paramref name="apis"/> API nodes and waits until all serve.</summary>
    public async Task StartAsync(int silos, int apis)
    {
        for (var i = 0; i < silos; i++)
        {
            StartSilo();
        }

        for (var i = 0; i < apis; i++)
        {
            StartApi();
        }

        await WaitForActiveSilosAsync(silos, TimeSpan.FromSeconds(90));
        foreach (var api in Apis)
        {
            await WaitReadyAsync(api, TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>Waits until exactly <paramref name="count"/> silos are Active in the membership table.</summary>
    public async Task WaitForActiveSilosAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var active = await SiloStatusesAsync();
            if (active.Count(s => s.Value == SiloStatus.Active) == count)
            {
                return;
            }

            ThrowIfAnyExited();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{count} silos not active in {timeout}: {string.Join(", ", active)}\n{Diagnostics()}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>The membership status of every silo of this cluster, by silo address (the latest generation's).</summary>
    public async Task<Dictionary<IPEndPoint, SiloStatus>> SiloStatusesAsync()
    {
        var result = new Dictionary<IPEndPoint, SiloStatus>();
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT address, port, status FROM orleans_membership WHERE deployment_id = @id ORDER BY generation", connection);
            command.Parameters.AddWithValue("id", _clusterId);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                result[new IPEndPoint(IPAddress.Parse(reader.GetString(0)), reader.GetInt32(1))] = (SiloStatus)reader.GetInt32(2);
            }
        }
        catch (NpgsqlException)
        {
            // The database may be down on purpose; no rows is the honest answer.
        }

        return result;
    }

    public async Task WaitReadyAsync(ApiNode api, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
            }

            ThrowIfAnyExited();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{api.Process.Name} not ready in {timeout}.\n{Diagnostics()}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>The last log lines of every node, for failure messages.</summary>
    public string Diagnostics() => $"Logs in {LogDirectory}\n" + string.Join("\n", _nodes.Select(n =>
        $"--- {n.Name} (pid {n.Id}{(n.HasExited ? $", exited {n.ExitCode}" : "")}) ---\n{n.Tail(25)}"));

    /// <summary>Every line of every node's log that contains one of <paramref name="needles"/>, for failure messages.</summary>
    public string LogLinesMentioning(IReadOnlyCollection<string> needles) => string.Concat(_nodes
        .Where(n => File.Exists(n.LogPath))
        .SelectMany(n => ReadShared(n.LogPath).Where(line => needles.Any(line.Contains)).Select(line => $"\n        {n.Name}: {line}")));

    /// <summary>A log a running node still writes to.</summary>
    private static IEnumerable<string> ReadShared(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // APIs first, so that they do not chase departing silos; all of them killed, whatever happened.
        foreach (var node in Enumerable.Reverse(_nodes))
        {
            await node.DisposeAsync();
        }

        CertificateAuthority.Dispose();
        try
        {
            await PostgreSqlFixture.DropDatabaseAsync(ConnectionString);
        }
        catch (NpgsqlException)
        {
            // A test that stopped its server has nothing left to drop.
        }
    }

    /// <summary>A silo that may end on its own from now on (e.g. one the others declare dead shuts itself down).</summary>
    public void ExpectExit(SiloNode silo) => _stopped.Add(silo.Process);

    /// <summary><c>kill -9</c> of a silo.</summary>
    public void Kill(SiloNode silo)
    {
        _stopped.Add(silo.Process);
        silo.Process.Kill();
    }

    /// <summary>SIGTERM to a silo; returns its exit code once it has shut down.</summary>
    public Task<int> TerminateAsync(SiloNode silo, TimeSpan timeout)
    {
        _stopped.Add(silo.Process);
        return silo.Process.TerminateAsync(timeout);
    }

    private void ThrowIfAnyExited()
    {
        if (_nodes.FirstOrDefault(n => n.HasExited && !_stopped.Contains(n)) is { } dead)
        {
            throw new InvalidOperationException($"{dead.Name} exited unexpectedly with {dead.ExitCode}.\n{Diagnostics()}");
        }
    }

    /// <summary>The settings every node shares; a node in <paramref name="pod"/> serves its management listener on its pod IP.</summary>
    private Dictionary<string, string> CommonEnvironment(PodSandbox? pod = null)
    {
        var environment = new Dictionary<string, string>
        {
            // Production: proves the deployable configuration, with no development defaults to lean on.
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Storage__Provider"] = "PostgreSql",
            ["Storage__ConnectionString"] = ConnectionString,
            ["Cluster__Clustering"] = "AdoNet",
            ["Cluster__ClusterId"] = _clusterId,
            ["Cluster__ServiceId"] = _clusterId,
            ["Cluster__Tls__Directory"] = TlsDirectory,
            ["Auth__Signing__KeyEncryptionKey"] = AuthApiFactory.TestKek,
            ["Auth__Passwords__BcryptCost"] = "4",
            // Production requires an explicit email provider; reset emails land as files beside the logs.
            ["Email__Provider"] = "Pickup",
            ["Email__PickupDirectory"] = Path.Combine(LogDirectory, "mail"),
            ["Email__From"] = "Shop <no-reply@shop.example>",
            // Many logins per account in a long run must not evict sessions the ledger still counts on.
            ["Auth__Sessions__MaxPerCustomer"] = "1000",
            // Every node has a management listener (metrics, probes); on one host each needs its own port.
            ["Management__Urls"] = pod is null ? "http://127.0.0.1:0" : $"http://{pod.Address}:{PodManagementPort}",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information",
            ["Logging__LogLevel__AuthCluster"] = "Information",
            // One security event per request would only fill the node logs these tests keep for diagnosis.
            ["Logging__LogLevel__AuthCluster.Security"] = "Warning",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        foreach (var (key, value) in Overrides)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static async Task<string> CreateDatabaseAsync(string serverConnectionString)
    {
        var name = $"authcluster_fault_{Guid.NewGuid():N}";
        var admin = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres" };
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
    }

    private static int FreePort() => TestSilo.FreePort();
}

/// <summary>A silo process, the address it advertises, and its pod when it runs on a <see cref="PodNetwork"/>.</summary>
internal sealed record SiloNode(NodeProcess Process, IPEndPoint Endpoint, PodSandbox? Pod = null);

/// <summary>An API node process, where it serves HTTP, and its pod when it runs on a <see cref="PodNetwork"/>.</summary>
internal sealed record ApiNode(NodeProcess Process, Uri BaseAddress, PodSandbox? Pod = null);

/// <summary>Orleans' <c>SiloStatus</c> values as stored in the membership table.</summary>
internal enum SiloStatus
{
    None = 0,
    Created = 1,
    Joining = 2,
    Active = 3,
    ShuttingDown = 4,
    Stopping = 5,
    Dead = 6,
}

/// <summary>The already-built silo and API of this build configuration (built by the test command with the solution).</summary>
internal static class Binaries
{
    public static string Silo => Find("Silo");

    public static string Api => Find("Api");

    public static string RepositoryRoot { get; } = FindRoot();

    private static string Find(string project)
    {
        // tests/Tests/bin/<Configuration>/<tfm>/AuthCluster.Tests.dll → src/<project>/bin/<Configuration>/<tfm>/AuthCluster.<project>.dll
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = testDirectory.Name;
        var configuration = typeof(Binaries).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? testDirectory.Parent!.Name;
        var path = Path.Combine(RepositoryRoot, "src", project, "bin", configuration, tfm, $"AuthCluster.{project}.dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Build output {path} is missing; run the tests with `dotnet test AuthCluster.sln`, which builds it.");
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AuthCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("AuthCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
