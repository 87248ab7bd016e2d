using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Faults;
using AuthCluster.Tests.Infrastructure;
using Npgsql;

namespace AuthCluster.Tests.Deploy;

/// <summary>
/// Boots the rendered <c>production</c> overlay without Kubernetes. secrets.env is made from secrets.env.example with
/// test values for every key (the database the test's own PostgreSQL, a test KEK, a client secret's digest); the
/// cluster-TLS Secret that cert-manager would write comes from a throw-away CA. Each pod gets its own Linux network
/// namespace on a bridge (<see cref="PodNetwork"/>) and so its own pod IP, fed to the silo through the manifest's
/// own <c>fieldRef</c>s; every container runs the image's entry point from the local build with the command, args,
/// env, envFrom and mounted volumes of the rendered YAML (<see cref="ManifestBoot"/>). PostgreSQL is reached at the
/// host's bridge address, forwarded to the test server on loopback. The silo's schema init container runs in every
/// silo pod; two silos of the declared three and one API pod start. Then every declared probe must pass at its path
/// and port, the membership table must show the silos under their pod names and IPs, and the API must serve
/// register → login → validate on the port its Service targets.
/// <para>
/// Not covered: the kubelet and container runtime themselves (image build, UID 1654, read-only root file system,
/// resource limits), cluster DNS, Service load balancing, NetworkPolicy enforcement, admission, cert-manager.
/// </para>
/// </summary>
[ProcessLevel]
[Collection(MeasuredAlone.Name)]
public sealed class BootFromManifestsTests
{
    private const string ClientId = "boot-shop";
    private const string ClientSecret = "boot-shop-secret-0123456789-abcdefghij";
    private const string Overlay = "production";

    [SkippableFact]
    public async Task Production_BootsFromItsManifests_ProbesPassAndTheApiServesOnItsServicePort()
    {
        await using var boot = await BootAsync(mutate: null);
        var manifests = boot.Manifests;

        var probes = await boot.Boot.CheckProbesAsync();
        // Silo: startup, liveness, readiness in two pods; API: the same three in one.
        Assert.Equal(9, probes.Count);

        var silos = boot.Boot.Pods.Where(p => p.Workload.Object.Component == "silo").ToList();
        Assert.Equal(2, silos.Count);
        // Named after their pods, at their pod IPs, on the ports the container declares: the fieldRefs and ports work.
        var members = await ActiveSilosAsync(boot.Postgres.ConnectionString, manifests);
        var declared = silos[0].Workload.MainContainers.Single().Ports;
        Assert.Equal(
            silos.Select(s => (s.Sandbox.PodName, s.Sandbox.Address.ToString(), declared["silo"], declared["gateway"])).OrderBy(s => s.PodName),
            members.OrderBy(m => m.Name));

        var services = await boot.Boot.CheckServicesAsync();
        Assert.Single(services);

        var api = Assert.Single(boot.Boot.Pods, p => p.Workload.Object.Component == "api");
        var target = boot.Boot.ServiceTarget(api, "http");
        Assert.Equal(8080, target.Port);
        await RoundTripAsync(target, boot.Boot);
    }

    /// <summary>The same boot catches what rendering alone never would: each mutation must make it fail.</summary>
    [SkippableTheory]
    [InlineData("silo liveness path", "authcluster-silo-boot-0/silo livenessProbe did not pass")]
    [InlineData("silo env key", "authcluster-silo-boot-0/silo exited with")]
    [InlineData("api container port", "Service authcluster-api port http: nothing accepts at http://")]
    public async Task Production_Mutated_BootCheckFails(string mutation, string expected)
    {
        await using var boot = await BootAsync(manifests => Mutate(manifests, mutation));

        var failure = await Assert.ThrowsAsync<BootCheckFailedException>(async () =>
        {
            await boot.Boot.CheckProbesAsync();
            await boot.Boot.CheckServicesAsync();
        });

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    private static void Mutate(List<ManifestObject> objects, string mutation)
    {
        var workloads = objects.Select(Workload.From).OfType<Workload>().ToList();
        var silo = workloads.Single(w => w.Object.Component == "silo").MainContainers.Single();
        switch (mutation)
        {
            case "api container port":
                // The Service's targetPort `http` now names a port the API does not listen on (Urls says 8080).
                var api = workloads.Single(w => w.Object.Component == "api").MainContainers.Single();
                api.Json["ports"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "http")!["containerPort"] = 8090;
                break;
            case "silo liveness path":
                silo.Json["livenessProbe"]!["httpGet"]!["path"] = "/health/alive";
                break;
            case "silo env key":
                // Without its TLS directory a silo clustered on AdoNet refuses to start outside Development.
                var variable = silo.Json["env"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "Cluster__Tls__Directory")!;
                variable["name"] = "Cluster__Tls__Dir";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mutation), mutation, null);
        }
    }

    private static async Task<BootedOverlay> BootAsync(Action<List<ManifestObject>>? mutate)
    {
        var (tools, unavailable) = await ManifestTools.InstallAsync();
        unavailable ??= PodNetwork.Unavailable() ?? (ThrowawayPostgres.IsInstalled ? null : "PostgreSQL's server binaries are not installed");
        if (unavailable is not null && Environment.GetEnvironmentVariable("CI") == "true")
        {
            throw new InvalidOperationException(unavailable);
        }

        Skip.If(unavailable is not null, unavailable);

        var directory = Directory.CreateTempSubdirectory("authcluster-boot-").FullName;
        var booted = new BootedOverlay(directory);
        try
        {
            booted.Postgres = await ThrowawayPostgres.StartAsync();
            booted.Network = PodNetwork.Create();
            var postgres = new NpgsqlConnectionStringBuilder(booted.Postgres.ConnectionString);
            // The database "Service": the host's bridge address, forwarded to the server on loopback.
            booted.Forwarder = new TcpForwarder(
                new IPEndPoint(booted.Network.Gateway, 5432), new IPEndPoint(IPAddress.Loopback, postgres.Port));

            var objects = await RenderAsync(tools!, directory, new NpgsqlConnectionStringBuilder
            {
                Host = booted.Network.Gateway.ToString(),
                Port = 5432,
                Username = postgres.Username,
                Database = postgres.Database,
            }.ConnectionString);
            mutate?.Invoke(objects);
            booted.Manifests = new RenderedManifests(Overlay, objects);

            booted.Boot = new ManifestBoot(booted.Manifests, booted.Network, directory);
            using (var authority = TestCertificateAuthority.Create("authcluster-boot-ca"))
            {
                var tls = authority.IssueTo(Path.Combine(directory, "cert-manager"), "authcluster-cluster");
                booted.Boot.ExternalSecrets["authcluster-cluster-tls"] = new[] { "tls.crt", "tls.key", "ca.crt" }
                    .ToDictionary(f => f, f => File.ReadAllText(Path.Combine(tls, f)));
            }

            foreach (var workload in booted.Manifests.Workloads)
            {
                await booted.Boot.StartAsync(workload, maxReplicas: 2);
            }

            return booted;
        }
        catch
        {
            await booted.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The overlay rendered by kustomize from a copy of deploy/k8s, with secrets.env made as docs/kubernetes.md says:
    /// every key of secrets.env.example, given a test value.
    /// </summary>
    private static async Task<List<ManifestObject>> RenderAsync(ManifestTools tools, string directory, string connectionString)
    {
        var k8s = Path.Combine(directory, "k8s");
        var source = Path.Combine(ManifestTools.RepositoryRoot, "deploy", "k8s");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(k8s, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var testValues = new Dictionary<string, string>
        {
            ["Storage__ConnectionString"] = connectionString,
            ["Auth__Signing__KeyEncryptionKey"] = AuthApiFactory.TestKek,
            ["Auth__Clients__0__ClientId"] = ClientId,
            ["Auth__Clients__0__SecretSha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ClientSecret))),
            ["Auth__Clients__0__ShopIds__0"] = "1",
            ["Email__SendGrid__ApiKey"] = "SG.boot-test-value-never-sent",
        };
        var overlay = Path.Combine(k8s, "overlays", Overlay);
        var keys = (await File.ReadAllLinesAsync(Path.Combine(overlay, "secrets.env.example")))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)])
            .ToList();
        Assert.Equal(testValues.Keys.Order(), keys.Order());
        await File.WriteAllLinesAsync(Path.Combine(overlay, "secrets.env"), keys.Select(k => $"{k}={testValues[k]}"));

        var rendered = Path.Combine(directory, Overlay + ".yaml");
        await File.WriteAllTextAsync(rendered, await tools.KustomizeAsync(overlay));
        return (await tools.YamlToJsonAsync(rendered)).Select(d => new ManifestObject((JsonObject)d!, [])).ToList();
    }

    /// <summary>The Active silos of the rendered cluster id: name, address, silo port, gateway port.</summary>
    private static async Task<List<(string Name, string Address, int Port, int Gateway)>> ActiveSilosAsync(string connectionString, RenderedManifests manifests)
    {
        var config = manifests.OfKind("ConfigMap").Single(c => c.Name.StartsWith("authcluster", StringComparison.Ordinal)).Json["data"]!;
        var clusterId = config["Cluster__ClusterId"]!.GetValue<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT silo_name, address, port, proxy_port FROM orleans_membership WHERE deployment_id = @id AND status = 3", connection);
        command.Parameters.AddWithValue("id", clusterId);
        var result = new List<(string, string, int, int)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3)));
        }

        return result;
    }

    /// <summary>register → login → validate against the API pod, as a shop backend would through the Service.</summary>
    private static async Task RoundTripAsync(Uri api, ManifestBoot boot)
    {
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}")));
        // A cold cluster on a busy machine may answer 503 (the contract's "try again") to its first calls.
        var email = "";
        using var register = await UntilNotUnavailableAsync(() => http.RegisterAsync(email = TestApi.UniqueEmail("boot"), shopId: 1));
        Assert.True(register.StatusCode == HttpStatusCode.Created, $"register: {register.StatusCode} {await register.Content.ReadAsStringAsync()}\n{boot.Diagnostics()}");
        using var login = await UntilNotUnavailableAsync(() => http.LoginAsync(email, shopId: 1));
        Assert.True(login.StatusCode == HttpStatusCode.OK, $"login: {login.StatusCode} {await login.Content.ReadAsStringAsync()}");
        var tokens = await login.TokensAsync();

        using var validate = new HttpRequestMessage(HttpMethod.Get, "/v1/oauth/token/validate");
        validate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        using var validated = await http.SendAsync(validate);
        Assert.Equal(HttpStatusCode.OK, validated.StatusCode);
        var body = await validated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.Equal(ClientId, body.GetProperty("client_id").GetString());
    }

    private static async Task<HttpResponseMessage> UntilNotUnavailableAsync(Func<Task<HttpResponseMessage>> send)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var response = await send();
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Everything one boot started, torn down in reverse.</summary>
    private sealed class BootedOverlay(string directory) : IAsyncDisposable
    {
        public ThrowawayPostgres Postgres { get; set; } = null!;

        public PodNetwork? Network { get; set; }

        public TcpForwarder? Forwarder { get; set; }

        public RenderedManifests Manifests { get; set; } = null!;

        public ManifestBoot Boot { get; set; } = null!;

        public async ValueTask DisposeAsync()
        {
            if (Boot is not null)
            {
                await Boot.DisposeAsync();
            }

            if (Forwarder is not null)
            {
                await Forwarder.DisposeAsync();
            }

            Network?.Dispose();
            if (Postgres is not null)
            {
                await Postgres.DisposeAsync();
            }

            // The containers' logs stay for diagnosis (as the process cluster's do); volumes, render and certificates go.
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos().Where(e => e.Name != "logs"))
            {
                try
                {
                    if (entry is DirectoryInfo folder)
                    {
                        folder.Delete(recursive: true);
                    }
                    else
                    {
                        entry.Delete();
                    }
                }
                catch (IOException)
                {
                    // A leftover temp file is harmless.
                }
            }
        }
    }
}
