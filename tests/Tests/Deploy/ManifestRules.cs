using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AuthCluster.Tests.Deploy;

/// <summary>
/// The project's rules for rendered manifests (docs/kubernetes.md); each returns what breaks it, empty when kept.
/// Separate from the tests so that the tests can show each rule catching a broken object.
/// </summary>
internal static partial class ManifestRules
{
    public const int ManagementPort = 8081;
    public const int PublicApiPort = 8080;
    public const int SiloPort = 11111;
    public const int GatewayPort = 30000;
    public const int PostgresPort = 5432;

    public static readonly string[] CommonLabels =
    [
        "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of",
        "app.kubernetes.io/managed-by", "app.kubernetes.io/version",
    ];

    /// <summary>The fields a pod template needs to pass the restricted Pod Security Standard, and ours beyond it.</summary>
    public static IEnumerable<string> RestrictedProfile(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Workloads)
        {
            var pod = workload.PodSpec;
            var podSecurity = pod["securityContext"] as JsonObject ?? [];
            foreach (var field in new[] { "hostNetwork", "hostPID", "hostIPC" })
            {
                if (pod[field]?.GetValue<bool>() == true)
                {
                    yield return $"{workload}: {field}";
                }
            }

            if (pod["automountServiceAccountToken"]?.GetValue<bool>() != false)
            {
                yield return $"{workload}: automountServiceAccountToken is not false";
            }

            foreach (var volume in pod["volumes"]?.AsArray() ?? [])
            {
                if (volume!["hostPath"] is not null)
                {
                    yield return $"{workload}: hostPath volume {volume["name"]}";
                }
            }

            foreach (var container in workload.AllContainers)
            {
                var security = container.Json["securityContext"] as JsonObject ?? [];
                var where = $"{workload} container {container}";
                if ((security["runAsNonRoot"] ?? podSecurity["runAsNonRoot"])?.GetValue<bool>() != true)
                {
                    yield return $"{where}: runAsNonRoot is not true";
                }

                // A numeric user lets the kubelet verify runAsNonRoot even when the image names its user.
                if (!long.TryParse((security["runAsUser"] ?? podSecurity["runAsUser"])?.ToString(), CultureInfo.InvariantCulture, out var user) || user <= 0)
                {
                    yield return $"{where}: no numeric non-root runAsUser";
                }

                if ((security["seccompProfile"] ?? podSecurity["seccompProfile"])?["type"]?.GetValue<string>() is not ("RuntimeDefault" or "Localhost"))
                {
                    yield return $"{where}: seccompProfile is not RuntimeDefault";
                }

                if (security["allowPrivilegeEscalation"]?.GetValue<bool>() != false)
                {
                    yield return $"{where}: allowPrivilegeEscalation is not false";
                }

                if (security["privileged"]?.GetValue<bool>() == true)
                {
                    yield return $"{where}: privileged";
                }

                var capabilities = security["capabilities"];
                if (capabilities?["drop"]?.AsArray().Any(c => c!.GetValue<string>() == "ALL") != true)
                {
                    yield return $"{where}: capabilities do not drop ALL";
                }

                if (capabilities?["add"]?.AsArray().Any(c => c!.GetValue<string>() != "NET_BIND_SERVICE") == true)
                {
                    yield return $"{where}: adds capabilities";
                }

                if (security["readOnlyRootFilesystem"]?.GetValue<bool>() != true)
                {
                    yield return $"{where}: readOnlyRootFilesystem is not true";
                }

                var tmp = container.Json["volumeMounts"]?.AsArray().FirstOrDefault(m => m!["mountPath"]?.GetValue<string>() == "/tmp");
                var tmpVolume = pod["volumes"]?.AsArray().FirstOrDefault(v => v!["name"]?.GetValue<string>() == tmp?["name"]?.GetValue<string>());
                if (tmpVolume?["emptyDir"] is null)
                {
                    yield return $"{where}: /tmp is not a writable emptyDir";
                }
            }
        }
    }

    /// <summary>app.kubernetes.io/* on every object and pod template; a component on everything that has one.</summary>
    public static IEnumerable<string> Labels(RenderedManifests manifests)
    {
        foreach (var o in manifests.Objects)
        {
            foreach (var label in CommonLabels.Where(l => !o.Labels.ContainsKey(l)))
            {
                yield return $"{o}: no label {label}";
            }

            if (o.Kind is not ("Namespace" or "ServiceAccount" or "ConfigMap" or "Secret") && o.Component is null)
            {
                yield return $"{o}: no label app.kubernetes.io/component";
            }
        }

        foreach (var workload in manifests.Workloads)
        {
            foreach (var label in CommonLabels.Append("app.kubernetes.io/component").Where(l => !workload.PodLabels.ContainsKey(l)))
            {
                yield return $"{workload}: pod template has no label {label}";
            }
        }
    }

    /// <summary>Every image by explicit version tag or digest; never latest or dev; our version label equals our tag.</summary>
    public static IEnumerable<string> Images(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Workloads)
        {
            foreach (var container in workload.AllContainers)
            {
                var image = container.Image;
                var match = ImageReference().Match(image);
                var tag = match.Groups["tag"].Value;
                if (!match.Success || (tag.Length == 0 && !match.Groups["digest"].Success))
                {
                    yield return $"{workload} container {container}: image {image} has neither a tag nor a digest";
                }
                else if (tag is "latest" or "dev" or "main" or "stable")
                {
                    yield return $"{workload} container {container}: image {image} uses the moving tag {tag}";
                }

                if (match.Groups["name"].Value.EndsWith("authcluster", StringComparison.Ordinal)
                    && workload.PodLabels.GetValueOrDefault("app.kubernetes.io/version") != tag)
                {
                    yield return $"{workload} container {container}: image tag {tag} differs from app.kubernetes.io/version";
                }
            }
        }
    }

    /// <summary>Requests and limits for CPU and memory on every container, init containers included.</summary>
    public static IEnumerable<string> Resources(RenderedManifests manifests) =>
        from workload in manifests.Workloads
        from container in workload.AllContainers
        from kind in new[] { "requests", "limits" }
        from resource in new[] { "cpu", "memory" }
        where container.Json["resources"]?[kind]?[resource] is null
        select $"{workload} container {container}: no {kind}.{resource}";

    /// <summary>
    /// API and silo containers: startup, readiness and liveness as HTTP GETs on the management port, readiness
    /// on /health/ready, liveness on /health/live, and the management listener configured on that port.
    /// </summary>
    public static IEnumerable<string> ManagementProbes(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Component("api").Concat(manifests.Component("silo")))
        {
            foreach (var container in workload.MainContainers)
            {
                var where = $"{workload} container {container}";
                if (container.Ports.GetValueOrDefault("management") != ManagementPort)
                {
                    yield return $"{where}: no container port named management = {ManagementPort}";
                }

                var expectedPaths = new Dictionary<string, string[]>
                {
                    ["startupProbe"] = workload.Object.Component == "silo" ? ["/health/ready"] : ["/health/live", "/health/ready"],
                    ["readinessProbe"] = ["/health/ready"],
                    ["livenessProbe"] = ["/health/live"],
                };
                foreach (var (kind, paths) in expectedPaths)
                {
                    var get = container.Probe(kind)?["httpGet"];
                    if (get is null)
                    {
                        yield return $"{where}: no {kind} with httpGet";
                        continue;
                    }

                    if (container.ResolvePort(get["port"]) != ManagementPort)
                    {
                        yield return $"{where}: {kind} is not on the management port {ManagementPort}";
                    }

                    if (!paths.Contains(get["path"]?.GetValue<string>()))
                    {
                        yield return $"{where}: {kind} path {get["path"]} is not {string.Join(" or ", paths)}";
                    }
                }

                var environment = manifests.Environment(container, SampleFields);
                if (environment.GetValueOrDefault("Management__Urls") != $"http://+:{ManagementPort}")
                {
                    yield return $"{where}: Management__Urls is not http://+:{ManagementPort}";
                }
            }
        }

        foreach (var workload in manifests.Component("api"))
        {
            var api = workload.MainContainers[0];
            if (manifests.Environment(api, SampleFields).GetValueOrDefault("Urls") != $"http://+:{PublicApiPort}")
            {
                yield return $"{workload}: Urls is not http://+:{PublicApiPort}";
            }

            foreach (var service in manifests.OfKind("Service").Where(s => Selects(s.Json["spec"]?["selector"], workload.PodLabels)))
            {
                foreach (var port in service.Json["spec"]!["ports"]!.AsArray())
                {
                    if (api.ResolvePort(port!["targetPort"] ?? port["port"]) != PublicApiPort)
                    {
                        yield return $"{service}: targets {port["targetPort"]}, not the public API port {PublicApiPort}";
                    }
                }
            }
        }
    }

    /// <summary>A PodDisruptionBudget with maxUnavailable 1 selecting the pods of every API and silo workload.</summary>
    public static IEnumerable<string> DisruptionBudgets(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Component("api").Concat(manifests.Component("silo")))
        {
            var budgets = manifests.OfKind("PodDisruptionBudget").Where(b => Selects(b.Json["spec"]?["selector"], workload.PodLabels)).ToList();
            if (budgets.Count != 1)
            {
                yield return $"{workload}: {budgets.Count} PodDisruptionBudgets select its pods, not 1";
            }
            else if (budgets[0].Json["spec"]!["maxUnavailable"]?.ToString() != "1")
            {
                yield return $"{budgets[0]}: maxUnavailable is not 1";
            }
        }
    }

    /// <summary>Spread over nodes and zones, with a selector that matches the workload's own pods.</summary>
    public static IEnumerable<string> TopologySpread(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Component("api").Concat(manifests.Component("silo")))
        {
            var constraints = workload.PodSpec["topologySpreadConstraints"]?.AsArray() ?? [];
            foreach (var key in new[] { "kubernetes.io/hostname", "topology.kubernetes.io/zone" })
            {
                var constraint = constraints.FirstOrDefault(c => c!["topologyKey"]?.GetValue<string>() == key);
                if (constraint is null)
                {
                    yield return $"{workload}: no topology spread over {key}";
                }
                else if (!Selects(constraint["labelSelector"], workload.PodLabels))
                {
                    yield return $"{workload}: the spread over {key} does not select its own pods";
                }
            }
        }
    }

    /// <summary>
    /// Grace periods longer than shutting down takes: silos above Cluster__ShutdownTimeout, API nodes above their
    /// preStop pause plus Cluster__ShutdownTimeout.
    /// </summary>
    public static IEnumerable<string> GracePeriods(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Component("api").Concat(manifests.Component("silo")))
        {
            var container = workload.MainContainers[0];
            var shutdown = manifests.Environment(container, SampleFields).TryGetValue("Cluster__ShutdownTimeout", out var text)
                ? TimeSpan.Parse(text, CultureInfo.InvariantCulture)
                : TimeSpan.FromSeconds(25);
            var preStop = TimeSpan.FromSeconds(container.Json["lifecycle"]?["preStop"]?["sleep"]?["seconds"]?.GetValue<int>() ?? 0);
            var grace = TimeSpan.FromSeconds(workload.PodSpec["terminationGracePeriodSeconds"]?.GetValue<int>() ?? 30);
            if (grace <= shutdown + preStop)
            {
                yield return $"{workload}: terminationGracePeriodSeconds {grace.TotalSeconds} is not above preStop {preStop.TotalSeconds} s + Cluster__ShutdownTimeout {shutdown.TotalSeconds} s";
            }

            if (workload.Object.Component == "api" && preStop == TimeSpan.Zero)
            {
                yield return $"{workload}: no preStop pause before draining";
            }
        }
    }

    /// <summary>An HPA on CPU owns the API's replica count (min 2); the Deployment does not set one.</summary>
    public static IEnumerable<string> Autoscaling(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Component("api"))
        {
            var hpa = manifests.OfKind("HorizontalPodAutoscaler").FirstOrDefault(h =>
                h.Json["spec"]?["scaleTargetRef"]?["kind"]?.GetValue<string>() == workload.Object.Kind
                && h.Json["spec"]?["scaleTargetRef"]?["name"]?.GetValue<string>() == workload.Object.Name);
            if (hpa is null)
            {
                yield return $"{workload}: no HorizontalPodAutoscaler";
                continue;
            }

            if (hpa.Json["spec"]!["minReplicas"]?.GetValue<int>() is not >= 2)
            {
                yield return $"{hpa}: minReplicas below 2";
            }

            if (hpa.Json["spec"]!["metrics"]?.AsArray().Any(m => m!["resource"]?["name"]?.GetValue<string>() == "cpu") != true)
            {
                yield return $"{hpa}: does not scale on CPU";
            }

            if (workload.Object.Json["spec"]!["replicas"] is not null)
            {
                yield return $"{workload}: sets replicas, which every apply would reset under the autoscaler";
            }
        }
    }

    /// <summary>
    /// The schema step runs before every silo start as an init container of the silo's own image and settings;
    /// no Job (a fixed-name Job cannot be re-applied with a new image).
    /// </summary>
    public static IEnumerable<string> SchemaStep(RenderedManifests manifests)
    {
        foreach (var job in manifests.OfKind("Job").Concat(manifests.OfKind("CronJob")))
        {
            yield return $"{job}: the schema step belongs in the silo's init container";
        }

        foreach (var workload in manifests.Component("silo"))
        {
            var silo = workload.MainContainers[0];
            var schema = workload.InitContainers.FirstOrDefault(c =>
                string.Join(' ', c.Command.Concat(c.Args)) == "dotnet AuthCluster.Silo.dll schema apply");
            if (schema is null)
            {
                yield return $"{workload}: no init container runs `dotnet AuthCluster.Silo.dll schema apply`";
                continue;
            }

            if (schema.Image != silo.Image || schema.WorkingDir != silo.WorkingDir)
            {
                yield return $"{workload}: the schema step runs another image or folder than the silo";
            }

            var connection = manifests.Environment(silo, SampleFields).GetValueOrDefault("Storage__ConnectionString");
            if (connection is null || manifests.Environment(schema, SampleFields).GetValueOrDefault("Storage__ConnectionString") != connection)
            {
                yield return $"{workload}: the schema step does not see the silo's Storage__ConnectionString";
            }
        }
    }

    /// <summary>Configuration and secrets referenced by generated (content-hashed) names, so that a change rolls the pods.</summary>
    public static IEnumerable<string> GeneratedConfiguration(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Workloads)
        {
            foreach (var container in workload.AllContainers)
            {
                var references = (container.Json["envFrom"]?.AsArray() ?? [])
                    .Select(s => s!["configMapRef"]?["name"] ?? s["secretRef"]?["name"])
                    .Concat((container.Json["env"]?.AsArray() ?? [])
                        .Select(e => e!["valueFrom"]?["configMapKeyRef"]?["name"] ?? e["valueFrom"]?["secretKeyRef"]?["name"]))
                    .OfType<JsonNode>()
                    .Select(n => n.GetValue<string>());
                foreach (var name in references.Where(n => !GeneratedName().IsMatch(n)))
                {
                    yield return $"{workload} container {container}: {name} is not a generated name (changes would not roll the pods)";
                }
            }
        }
    }

    /// <summary>
    /// Every silo and API node with <c>AdoNet</c> clustering encrypts and authenticates cluster traffic: either
    /// <c>Cluster__Tls__Directory</c> is where a Secret is mounted whose certificate comes from this render (the
    /// Secret itself, or a cert-manager Certificate that writes it, with both TLS usages), or the explicit opt-out
    /// <c>Cluster__Tls__Disabled=true</c> is set (the code then warns at every start). Without either, the node
    /// refuses to start outside Development.
    /// </summary>
    public static IEnumerable<string> ClusterTls(RenderedManifests manifests)
    {
        foreach (var workload in manifests.Component("api").Concat(manifests.Component("silo")))
        {
            var container = workload.MainContainers[0];
            var environment = manifests.Environment(container, SampleFields);
            if (!string.Equals(environment.GetValueOrDefault("Cluster__Clustering"), "AdoNet", StringComparison.OrdinalIgnoreCase)
                || string.Equals(environment.GetValueOrDefault("Cluster__Tls__Disabled"), "true", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (environment.GetValueOrDefault("Cluster__Tls__Directory") is not { Length: > 0 } directory)
            {
                yield return $"{workload}: AdoNet clustering without Cluster__Tls__Directory (or the opt-out Cluster__Tls__Disabled=true)";
                continue;
            }

            var mount = (container.Json["volumeMounts"]?.AsArray() ?? []).FirstOrDefault(m => m!["mountPath"]?.GetValue<string>()?.TrimEnd('/') == directory.TrimEnd('/'));
            var secret = mount is null ? null : (workload.PodSpec["volumes"]?.AsArray() ?? [])
                .FirstOrDefault(v => v!["name"]?.GetValue<string>() == mount["name"]?.GetValue<string>())?["secret"]?["secretName"]?.GetValue<string>();
            if (secret is null)
            {
                yield return $"{workload}: Cluster__Tls__Directory {directory} is not where a Secret is mounted";
                continue;
            }

            var certificate = manifests.OfKind("Certificate").FirstOrDefault(c => c.Json["spec"]?["secretName"]?.GetValue<string>() == secret);
            if (certificate is not null)
            {
                var usages = (certificate.Json["spec"]!["usages"]?.AsArray() ?? []).Select(u => u!.GetValue<string>()).ToList();
                foreach (var usage in new[] { "server auth", "client auth" }.Except(usages))
                {
                    yield return $"{certificate}: no usage {usage} (every node is a TLS server and client)";
                }
            }
            else if (manifests.Find("Secret", secret) is null)
            {
                yield return $"{workload}: nothing in the render makes Secret {secret} (no Certificate writes it)";
            }
        }
    }

    /// <summary>
    /// The Orleans ports of silos admit only silo and API pods of this installation; likewise PostgreSQL, when
    /// the overlay runs one, admits only them. Each protected pod must be selected by an Ingress policy.
    /// </summary>
    public static IEnumerable<string> NetworkPolicies(RenderedManifests manifests)
    {
        foreach (var violation in Protected(manifests, "silo", [SiloPort, GatewayPort], ["silo", "api"]))
        {
            yield return violation;
        }

        foreach (var violation in Protected(manifests, "database", [PostgresPort], ["silo", "api"]))
        {
            yield return violation;
        }
    }

    private static IEnumerable<string> Protected(RenderedManifests manifests, string component, int[] ports, string[] allowed)
    {
        foreach (var workload in manifests.Component(component))
        {
            var policies = manifests.OfKind("NetworkPolicy")
                .Where(p => Selects(p.Json["spec"]?["podSelector"], workload.PodLabels))
                .Where(p => p.Json["spec"]?["policyTypes"]?.AsArray().Any(t => t!.GetValue<string>() == "Ingress") ?? p.Json["spec"]?["ingress"] is not null)
                .ToList();
            if (policies.Count == 0)
            {
                yield return $"{workload}: no Ingress NetworkPolicy selects its pods";
                continue;
            }

            var container = workload.MainContainers[0];
            foreach (var port in ports)
            {
                var admitted = new HashSet<string>();
                foreach (var rule in policies.SelectMany(p => p.Json["spec"]?["ingress"]?.AsArray() ?? []))
                {
                    var rulePorts = rule!["ports"]?.AsArray();
                    if (rulePorts is { Count: > 0 } && !rulePorts.Any(p => container.ResolvePort(p!["port"]) == port))
                    {
                        continue;
                    }

                    var peers = rule["from"]?.AsArray();
                    if (peers is not { Count: > 0 })
                    {
                        yield return $"{workload}: port {port} is open to every source";
                        continue;
                    }

                    foreach (var peer in peers)
                    {
                        var labels = ManifestObject.StringMap(peer!["podSelector"]?["matchLabels"]);
                        var peerComponent = labels.GetValueOrDefault("app.kubernetes.io/component");
                        if (peer["ipBlock"] is not null || peer["namespaceSelector"] is not null
                            || peer["podSelector"]?["matchExpressions"] is not null
                            || labels.GetValueOrDefault("app.kubernetes.io/name") != "authcluster"
                            || !allowed.Contains(peerComponent))
                        {
                            yield return $"{workload}: port {port} admits {peer.ToJsonString()}, not only {string.Join('/', allowed)} pods";
                        }
                        else
                        {
                            admitted.Add(peerComponent!);
                        }
                    }
                }

                foreach (var missing in allowed.Except(admitted))
                {
                    yield return $"{workload}: port {port} does not admit {missing} pods";
                }
            }
        }
    }

    /// <summary>The pod fields the manifests read through the downward API, with sample values.</summary>
    public static readonly IReadOnlyDictionary<string, string> SampleFields = new Dictionary<string, string>
    {
        ["metadata.name"] = "authcluster-silo-7d9f8c6b5-x2x4z",
        ["metadata.namespace"] = "authcluster",
        ["status.podIP"] = "10.244.0.17",
    };

    /// <summary>Whether a label selector (matchLabels, or a plain map as in a Service) selects pods with these labels.</summary>
    public static bool Selects(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is not JsonObject s)
        {
            return false;
        }

        var required = s.ContainsKey("matchLabels") || s.ContainsKey("matchExpressions")
            ? ManifestObject.StringMap(s["matchLabels"])
            : ManifestObject.StringMap(s);
        var expressions = s["matchExpressions"]?.AsArray() ?? [];
        return required.All(r => labels.GetValueOrDefault(r.Key) == r.Value)
            && expressions.All(e => e!["operator"]?.GetValue<string>() switch
            {
                "In" => e["values"]!.AsArray().Any(v => v!.GetValue<string>() == labels.GetValueOrDefault(e["key"]!.GetValue<string>())),
                "NotIn" => !e["values"]!.AsArray().Any(v => v!.GetValue<string>() == labels.GetValueOrDefault(e["key"]!.GetValue<string>())),
                "Exists" => labels.ContainsKey(e["key"]!.GetValue<string>()),
                "DoesNotExist" => !labels.ContainsKey(e["key"]!.GetValue<string>()),
                _ => false,
            });
    }

    // registry/name:tag@sha256:digest, the registry optional, the tag or the digest optional.
    [GeneratedRegex(@"^(?<name>[a-z0-9][a-z0-9./_-]*(?::[0-9]+/[a-z0-9./_-]+)?)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?<digest>@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ImageReference();

    // kustomize's generators append a ten-character content hash.
    [GeneratedRegex(@"-[a-z0-9]{10}$")]
    private static partial Regex GeneratedName();
}
