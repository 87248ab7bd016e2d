using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Faults;

namespace AuthCluster.Tests.Deploy;

/// <summary>A declared thing that would fail on a real cluster: a probe, an init container, a container that exits, a reference.</summary>
internal sealed class BootCheckFailedException(string message) : Exception(message);

/// <summary>
/// Starts the workloads of a rendered overlay as a kubelet would, with local processes instead of containers: per pod
/// a network namespace (<see cref="PodNetwork"/>); per container the image's entry point mapped to the local build,
/// its command/args, its environment as <see cref="RenderedManifests.Environment"/> builds it (pod fields from the
/// sandbox), its Secret/ConfigMap/emptyDir volumes written to directories and the mount paths in its environment
/// pointed at them. Init containers run to completion first. Then every declared probe is polled on the pod's
/// address with the kubelet's success rules and deadlines.
/// </summary>
internal sealed class ManifestBoot(RenderedManifests manifests, PodNetwork network, string directory) : IAsyncDisposable
{
    /// <summary>No probe window is waited for longer than this, whatever the manifest allows.</summary>
    private static readonly TimeSpan ProbeCap = TimeSpan.FromSeconds(120);

    private static readonly TimeSpan InitContainerTimeout = TimeSpan.FromSeconds(120);

    private readonly List<ContainerProcess> _processes = [];

    /// <summary>Secrets made outside the render (by cert-manager from a rendered Certificate), by name.</summary>
    public Dictionary<string, IReadOnlyDictionary<string, string>> ExternalSecrets { get; } = [];

    public List<RunningPod> Pods { get; } = [];

    /// <summary>
    /// Starts <paramref name="workload"/>'s pods: its declared replicas, at most <paramref name="maxReplicas"/>
    /// (one when the count is left to an autoscaler).
    /// </summary>
    public async Task StartAsync(Workload workload, int maxReplicas)
    {
        var replicas = Math.Min(workload.Object.Json["spec"]?["replicas"]?.GetValue<int>() ?? 1, maxReplicas);
        for (var i = 0; i < replicas; i++)
        {
            var sandbox = network.AddPod($"{workload.Object.Name}-boot-{i}");
            var pod = new RunningPod(workload, sandbox, MountVolumes(workload, sandbox));
            Pods.Add(pod);
            foreach (var init in workload.InitContainers)
            {
                var process = Start(pod, init);
                var exitCode = await process.WaitForExitAsync(InitContainerTimeout);
                if (exitCode != 0)
                {
                    throw new BootCheckFailedException(
                        $"{pod.Sandbox.PodName}: init container {init.Name} {(exitCode is null ? "did not finish" : $"exited with {exitCode}")}.\n{process.Tail()}");
                }
            }

            foreach (var container in workload.MainContainers)
            {
                pod.Containers[container.Name] = (container, Start(pod, container));
            }
        }
    }

    /// <summary>
    /// Every declared probe of every running container passes on the pod's address: the startup probe within its
    /// window (else the kubelet kills the container); then liveness within failureThreshold × period (else it
    /// restarts it) and readiness at all (else the pod never receives traffic). Returns what was checked.
    /// </summary>
    public async Task<IReadOnlyList<string>> CheckProbesAsync()
    {
        var passed = new List<string>();
        foreach (var pod in Pods)
        {
            foreach (var (container, _) in pod.Containers.Values)
            {
                foreach (var kind in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
                {
                    if (container.Probe(kind) is not { } probe)
                    {
                        continue;
                    }

                    var window = kind == "readinessProbe" ? ProbeCap : Window(probe, hasStartupProbe: container.Probe("startupProbe") is not null && kind != "startupProbe");
                    var description = await WaitForProbeAsync(pod, container, kind, probe, window);
                    passed.Add($"{pod.Sandbox.PodName}/{container.Name} {kind} {description}");
                }
            }
        }

        return passed;
    }

    /// <summary>
    /// The address the Service selecting <paramref name="pod"/> forwards its port <paramref name="servicePort"/> to:
    /// the pod IP and the targetPort, a name resolved through the pod's containers' ports as kube-proxy does.
    /// </summary>
    public Uri ServiceTarget(RunningPod pod, string servicePort) =>
        ServiceTargets().FirstOrDefault(t => t.Pod == pod && t.PortName == servicePort).Target
            ?? throw new BootCheckFailedException($"No Service port {servicePort} selects {pod.Sandbox.PodName}.");

    /// <summary>Every Service port of every running pod it selects accepts connections at its resolved target.</summary>
    public async Task<IReadOnlyList<string>> CheckServicesAsync()
    {
        var passed = new List<string>();
        foreach (var (service, portName, pod, target) in ServiceTargets())
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                using var client = new TcpClient();
                using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                try
                {
                    await client.ConnectAsync(target.Host, target.Port, cancellation.Token);
                    passed.Add($"Service {service}/{portName} → {target}");
                    break;
                }
                catch (Exception exception) when (exception is SocketException or OperationCanceledException)
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new BootCheckFailedException($"Service {service} port {portName}: nothing accepts at {target}: {exception.Message}\n{Diagnostics()}");
                    }
                }

                await Task.Delay(500);
            }
        }

        return passed;
    }

    private IEnumerable<(string Service, string PortName, RunningPod Pod, Uri Target)> ServiceTargets()
    {
        foreach (var service in manifests.OfKind("Service"))
        {
            var selector = ManifestObject.StringMap(service.Json["spec"]?["selector"]);
            foreach (var pod in Pods.Where(p => selector.Count > 0 && selector.All(l => p.Workload.PodLabels.GetValueOrDefault(l.Key) == l.Value)))
            {
                foreach (var port in service.Json["spec"]?["ports"] as JsonArray ?? [])
                {
                    var target = port!["targetPort"] ?? port["port"];
                    var number = pod.Workload.MainContainers.Select(c => c.ResolvePort(target)).FirstOrDefault(n => n is not null)
                        ?? throw new BootCheckFailedException($"Service {service.Name} targets {target}, which no container of {pod.Sandbox.PodName} declares.");
                    yield return (service.Name, port["name"]?.GetValue<string>() ?? "", pod,
                        new Uri($"http://{pod.Sandbox.Address}:{number.ToString(CultureInfo.InvariantCulture)}"));
                }
            }
        }
    }

    /// <summary>The last output of every container, for failure messages.</summary>
    public string Diagnostics() => $"Logs in {directory}\n" + string.Join("\n", _processes.Select(p =>
        $"--- {p.Name}{(p.HasExited ? $" (exited {p.ExitCode})" : "")} ---\n{p.Tail(15)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }
    }

    private ContainerProcess Start(RunningPod pod, Container container)
    {
        var fields = new Dictionary<string, string>
        {
            ["metadata.name"] = pod.Sandbox.PodName,
            ["metadata.namespace"] = pod.Workload.Object.Namespace ?? "default",
            ["status.podIP"] = pod.Sandbox.Address.ToString(),
            ["status.hostIP"] = network.Gateway.ToString(),
            ["spec.nodeName"] = "boot-node",
            ["spec.serviceAccountName"] = pod.Workload.PodSpec["serviceAccountName"]?.GetValue<string>() ?? "default",
        };
        Dictionary<string, string> podEnvironment;
        try
        {
            podEnvironment = new Dictionary<string, string>(manifests.Environment(container, fields));
        }
        catch (InvalidOperationException exception)
        {
            // A reference the kubelet could not resolve: CreateContainerConfigError.
            throw new BootCheckFailedException($"{pod.Sandbox.PodName}: {exception.Message}");
        }

        var image = ContainerImage.FromDockerfile(container.Image);
        var mounts = MountsOf(pod, container);
        var environment = new Dictionary<string, string>(image.Environment)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        };
        foreach (var (key, value) in podEnvironment)
        {
            environment[key] = RewriteMountPaths(value, mounts);
        }

        // The pod's /tmp is an emptyDir; .NET finds its temp directory through TMPDIR.
        if (mounts.TryGetValue("/tmp", out var tmp))
        {
            environment["TMPDIR"] = tmp;
            environment["HOME"] = tmp;
        }

        // The kubelet expands $(VAR) in command and args too.
        var command = container.Command.Count > 0 ? container.Command : image.Entrypoint;
        var argv = command.Concat(container.Args).Select(a => RewriteMountPaths(RenderedManifests.Expand(a, podEnvironment), mounts)).ToList();
        var (localArgv, workingDirectory) = image.Resolve(argv, container.WorkingDir);
        var process = ContainerProcess.Start(
            $"{pod.Sandbox.PodName}-{container.Name}", pod.Sandbox, localArgv, workingDirectory, environment, Path.Combine(directory, "logs"));
        _processes.Add(process);
        return process;
    }

    /// <summary>The pod's volumes as directories: emptyDir empty, Secret and ConfigMap volumes with their keys as files.</summary>
    private Dictionary<string, string> MountVolumes(Workload workload, PodSandbox sandbox)
    {
        var volumes = new Dictionary<string, string>();
        foreach (var volume in workload.PodSpec["volumes"] as JsonArray ?? [])
        {
            var name = volume!["name"]!.GetValue<string>();
            var path = Path.Combine(directory, "pods", sandbox.PodName, "volumes", name);
            Directory.CreateDirectory(path);
            volumes[name] = path;
            if (volume["emptyDir"] is not null)
            {
                continue;
            }

            var (kind, objectName, mode) = volume["secret"] is { } secret
                ? ("Secret", secret["secretName"]!.GetValue<string>(), secret["defaultMode"]?.GetValue<int>() ?? 420)
                : volume["configMap"] is { } configMap
                    ? ("ConfigMap", configMap["name"]!.GetValue<string>(), configMap["defaultMode"]?.GetValue<int>() ?? 420)
                    : throw new BootCheckFailedException($"{workload}: volume {name} is of a kind this test does not provide.");
            if ((volume["secret"] ?? volume["configMap"])!["items"] is not null)
            {
                throw new BootCheckFailedException($"{workload}: volume {name} selects items, which this test does not map.");
            }

            var data = manifests.Data(kind, objectName) ?? ExternalData(kind, objectName)
                ?? throw new BootCheckFailedException($"{workload}: volume {name} needs the {kind} {objectName}, which nothing creates.");
            foreach (var (key, value) in data)
            {
                var file = Path.Combine(path, key);
                File.WriteAllText(file, value);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(file, (UnixFileMode)mode);
                }
            }
        }

        return volumes;
    }

    /// <summary>A Secret the render does not contain but declares: one a rendered cert-manager Certificate writes.</summary>
    private IReadOnlyDictionary<string, string>? ExternalData(string kind, string name) =>
        kind == "Secret" && manifests.OfKind("Certificate").Any(c => c.Json["spec"]?["secretName"]?.GetValue<string>() == name)
            ? ExternalSecrets.GetValueOrDefault(name)
            : null;

    private static Dictionary<string, string> MountsOf(RunningPod pod, Container container)
    {
        var mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var mount in container.Json["volumeMounts"] as JsonArray ?? [])
        {
            var volume = mount!["name"]!.GetValue<string>();
            var local = pod.Volumes.TryGetValue(volume, out var path)
                ? path
                : throw new BootCheckFailedException($"{pod.Sandbox.PodName}/{container.Name} mounts the undeclared volume {volume}.");
            mounts[mount["mountPath"]!.GetValue<string>().TrimEnd('/')] = mount["subPath"] is { } sub ? Path.Combine(local, sub.GetValue<string>()) : local;
        }

        return mounts;
    }

    /// <summary>A value that names a path under a mount point names the same path in the mounted directory.</summary>
    private static string RewriteMountPaths(string value, Dictionary<string, string> mounts)
    {
        foreach (var (mountPath, local) in mounts.OrderByDescending(m => m.Key.Length))
        {
            if (value == mountPath || value.StartsWith(mountPath + "/", StringComparison.Ordinal))
            {
                return local + value[mountPath.Length..];
            }
        }

        return value;
    }

    private static TimeSpan Window(JsonObject probe, bool hasStartupProbe)
    {
        var delay = probe["initialDelaySeconds"]?.GetValue<int>() ?? 0;
        var period = probe["periodSeconds"]?.GetValue<int>() ?? 10;
        var threshold = probe["failureThreshold"]?.GetValue<int>() ?? 3;
        // After a startup probe passed, the other probes start at once; the initial delay counts only without one.
        var window = TimeSpan.FromSeconds((hasStartupProbe ? 0 : delay) + period * threshold);
        return window < ProbeCap ? window : ProbeCap;
    }

    private async Task<string> WaitForProbeAsync(RunningPod pod, Container container, string kind, JsonObject probe, TimeSpan window)
    {
        var timeout = TimeSpan.FromSeconds(probe["timeoutSeconds"]?.GetValue<int>() ?? 1);
        var deadline = DateTime.UtcNow + window;
        var last = "";
        while (true)
        {
            ThrowIfAnyExited($"{pod.Sandbox.PodName}/{container.Name} {kind}");
            (var ok, last) = await ProbeOnceAsync(pod, container, probe, timeout);
            if (ok)
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new BootCheckFailedException(
                    $"{pod.Sandbox.PodName}/{container.Name} {kind} did not pass within {window.TotalSeconds:0} s: {last}\n{Diagnostics()}");
            }

            await Task.Delay(500);
        }
    }

    /// <summary>Any main container that exits is a failure of its own (CrashLoopBackOff), whichever probe is awaited.</summary>
    private void ThrowIfAnyExited(string waitingFor)
    {
        foreach (var pod in Pods)
        {
            foreach (var (container, process) in pod.Containers.Values)
            {
                if (process.HasExited)
                {
                    throw new BootCheckFailedException(
                        $"{pod.Sandbox.PodName}/{container.Name} exited with {process.ExitCode} while waiting for {waitingFor}.\n{Diagnostics()}");
                }
            }
        }
    }

    /// <summary>One probe attempt as the kubelet makes it: httpGet succeeds on 200–399, tcpSocket on a connection.</summary>
    private static async Task<(bool Ok, string Description)> ProbeOnceAsync(RunningPod pod, Container container, JsonObject probe, TimeSpan timeout)
    {
        if (probe["httpGet"] is { } get)
        {
            var port = container.ResolvePort(get["port"])
                ?? throw new BootCheckFailedException($"{pod.Sandbox.PodName}/{container.Name}: probe port {get["port"]} is not a declared port.");
            var scheme = (get["scheme"]?.GetValue<string>() ?? "HTTP").ToLowerInvariant();
            var host = get["host"]?.GetValue<string>() ?? pod.Sandbox.Address.ToString();
            var uri = new Uri($"{scheme}://{host}:{port.ToString(CultureInfo.InvariantCulture)}{get["path"]?.GetValue<string>() ?? "/"}");
            // The kubelet neither verifies certificates nor follows redirects to other hosts; a 3xx is a success.
            using var handler = new HttpClientHandler { AllowAutoRedirect = false, ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var http = new HttpClient(handler) { Timeout = timeout };
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("kube-probe", "1.34"));
            foreach (var header in get["httpHeaders"] as JsonArray ?? [])
            {
                request.Headers.TryAddWithoutValidation(header!["name"]!.GetValue<string>(), header["value"]!.GetValue<string>());
            }

            try
            {
                using var response = await http.SendAsync(request);
                return ((int)response.StatusCode is >= 200 and < 400, $"GET {uri} → {(int)response.StatusCode}");
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                return (false, $"GET {uri} → {exception.Message}");
            }
        }

        if (probe["tcpSocket"] is { } tcp)
        {
            var port = container.ResolvePort(tcp["port"])
                ?? throw new BootCheckFailedException($"{pod.Sandbox.PodName}/{container.Name}: probe port {tcp["port"]} is not a declared port.");
            using var client = new TcpClient();
            using var cancellation = new CancellationTokenSource(timeout);
            try
            {
                await client.ConnectAsync(pod.Sandbox.Address, port, cancellation.Token);
                return (true, $"TCP {pod.Sandbox.Address}:{port} open");
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
                return (false, $"TCP {pod.Sandbox.Address}:{port} → {exception.Message}");
            }
        }

        // exec needs a shell in the image (the chiseled image has none); grpc is not used here.
        throw new BootCheckFailedException($"{pod.Sandbox.PodName}/{container.Name}: a probe of a kind this test cannot run: {probe.ToJsonString()}");
    }
}

/// <summary>A started pod: its workload, sandbox, volume directories and main containers by name.</summary>
internal sealed record RunningPod(Workload Workload, PodSandbox Sandbox, IReadOnlyDictionary<string, string> Volumes)
{
    public Dictionary<string, (Container Container, ContainerProcess Process)> Containers { get; } = [];
}

/// <summary>
/// What the image of deploy/Dockerfile would run, mapped to the local build: its final stage's ENTRYPOINT,
/// WORKDIR and ENV, and its directories <c>/app/api</c> and <c>/app/silo</c> (the publish outputs it copies in)
/// as the build output directories of src/Api and src/Silo.
/// </summary>
internal sealed partial record ContainerImage(IReadOnlyList<string> Entrypoint, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>Set by the .NET base image (mcr.microsoft.com/dotnet/aspnet) beneath the Dockerfile's own ENV.</summary>
    private static readonly Dictionary<string, string> BaseImageEnvironment = new()
    {
        ["APP_UID"] = "1654",
        ["ASPNETCORE_HTTP_PORTS"] = "8080",
        ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
    };

    private static readonly Lazy<ContainerImage> Built = new(Parse);

    private static Dictionary<string, string> ImageDirectories => new()
    {
        ["/app/api"] = Path.GetDirectoryName(Binaries.Api)!,
        ["/app/silo"] = Path.GetDirectoryName(Binaries.Silo)!,
    };

    /// <summary>The project's image; any other image (a database, a sidecar) cannot be run locally.</summary>
    public static ContainerImage FromDockerfile(string image) =>
        ImageName().IsMatch(image) ? Built.Value : throw new BootCheckFailedException($"The image {image} is not the one deploy/Dockerfile builds.");

    /// <summary>
    /// The local program, arguments and working directory for a container's argv: <c>dotnet X.dll</c> in the image
    /// directory becomes the local dotnet host with the built X.dll; a dll that is not where the container looks
    /// for it fails as it would in the image.
    /// </summary>
    public (IReadOnlyList<string> Argv, string WorkingDirectory) Resolve(IReadOnlyList<string> argv, string? workingDir)
    {
        var imageDirectory = workingDir ?? WorkingDirectory;
        if (!ImageDirectories.TryGetValue(imageDirectory.TrimEnd('/'), out var local))
        {
            throw new BootCheckFailedException($"The image has no built application in {imageDirectory}.");
        }

        if (argv is not ["dotnet", var dll, ..])
        {
            throw new BootCheckFailedException($"The image can run only `dotnet <app>.dll`, not `{string.Join(' ', argv)}`.");
        }

        var localDll = Path.Combine(local, dll);
        if (!File.Exists(localDll) || Path.IsPathRooted(dll))
        {
            throw new BootCheckFailedException($"{dll} does not exist in the image's {imageDirectory}.");
        }

        var host = System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "/usr/bin/dotnet";
        return ([host, localDll, .. argv.Skip(2)], local);
    }

    private static ContainerImage Parse()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Binaries.RepositoryRoot, "deploy", "Dockerfile"));
        // Continuation lines joined; only the final stage is the image.
        var lines = dockerfile.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n').Select(l => l.Trim()).ToList();
        var final = lines.Skip(lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();
        foreach (var (imagePath, source) in new[] { ("./api", "/app/api"), ("./silo", "/app/silo") })
        {
            Assert.Contains($"COPY --from=build {source} {imagePath}", final);
        }

        var environment = new Dictionary<string, string>(BaseImageEnvironment);
        foreach (var line in final.Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)))
        {
            foreach (Match pair in EnvPair().Matches(line[4..]))
            {
                environment[pair.Groups[1].Value] = pair.Groups[2].Value;
            }
        }

        var entrypoint = System.Text.Json.JsonSerializer.Deserialize<string[]>(final.Last(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal))[11..])!;
        var workdir = final.Last(l => l.StartsWith("WORKDIR ", StringComparison.Ordinal))[8..].Trim();
        return new ContainerImage(entrypoint, workdir, environment);
    }

    [GeneratedRegex(@"(^|/)authcluster(:[\w.-]+|@sha256:[0-9a-f]+)?$")]
    private static partial Regex ImageName();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(\S*)")]
    private static partial Regex EnvPair();
}
