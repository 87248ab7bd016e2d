using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AuthCluster.Tests.Deploy;

/// <summary>One rendered overlay: every object as JSON, with what the schema validation found.</summary>
/// <remarks>
/// Also the model a test that starts the workloads as processes needs: <see cref="Workloads"/> → containers
/// with command, args, working directory, ports and probes, and <see cref="Environment"/> for the variables
/// a container would see (envFrom, env, fieldRef, $(VAR) expansion), Secrets decoded.
/// </remarks>
internal sealed class RenderedManifests(string name, IReadOnlyList<ManifestObject> objects)
{
    public string Name { get; } = name;

    public IReadOnlyList<ManifestObject> Objects { get; } = objects;

    public IEnumerable<ManifestObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

    public ManifestObject? Find(string kind, string name) => Objects.FirstOrDefault(o => o.Kind == kind && o.Name == name);

    public IEnumerable<Workload> Workloads => Objects.Select(Workload.From).OfType<Workload>();

    /// <summary>The workloads with <c>app.kubernetes.io/component</c> = <paramref name="component"/>.</summary>
    public IEnumerable<Workload> Component(string component) => Workloads.Where(w => w.Object.Component == component);

    /// <summary>The data of a ConfigMap or (decoded) Secret, or null when the overlay has no such object.</summary>
    public IReadOnlyDictionary<string, string>? Data(string kind, string name)
    {
        if (Find(kind, name) is not { } found)
        {
            return null;
        }

        var data = found.Json["data"] as JsonObject ?? [];
        return data.ToDictionary(
            p => p.Key,
            p => kind == "Secret"
                ? Encoding.UTF8.GetString(Convert.FromBase64String(Regex.Replace(p.Value!.GetValue<string>(), @"\s", "")))
                : p.Value!.GetValue<string>());
    }

    /// <summary>
    /// The environment a container of <paramref name="workload"/> starts with, as the kubelet builds it: envFrom
    /// in order, then env; <c>$(NAME)</c> expanded from what is defined before; fieldRef values from
    /// <paramref name="fields"/> (e.g. <c>status.podIP</c>, <c>metadata.name</c>). Throws on a reference to a missing
    /// ConfigMap, Secret or key (the kubelet would not start the container).
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment(Container container, IReadOnlyDictionary<string, string> fields)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in container.Json["envFrom"]?.AsArray() ?? [])
        {
            var (kind, reference) = source!["configMapRef"] is { } configMap ? ("ConfigMap", configMap) : ("Secret", source["secretRef"]!);
            var data = Data(kind, reference["name"]!.GetValue<string>())
                ?? throw new InvalidOperationException($"{container.Name}: envFrom {kind} {reference["name"]} does not exist.");
            var prefix = source["prefix"]?.GetValue<string>() ?? "";
            foreach (var (key, value) in data)
            {
                environment[prefix + key] = value;
            }
        }

        foreach (var variable in container.Json["env"]?.AsArray() ?? [])
        {
            var name = variable!["name"]!.GetValue<string>();
            environment[name] = variable["valueFrom"] is { } from
                ? ValueFrom(container, name, from, fields)
                : Expand(variable["value"]?.GetValue<string>() ?? "", environment);
        }

        return environment;
    }

    /// <summary>Kubernetes' <c>$(NAME)</c> expansion: defined names are replaced, <c>$$</c> is a literal <c>$</c>, others stay.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> environment) =>
        Regex.Replace(text, @"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", m =>
            m.Value == "$$" ? "$" : environment.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);

    private string ValueFrom(Container container, string name, JsonNode from, IReadOnlyDictionary<string, string> fields)
    {
        if (from["fieldRef"] is { } field)
        {
            var path = field["fieldPath"]!.GetValue<string>();
            return fields.TryGetValue(path, out var value)
                ? value
                : throw new InvalidOperationException($"{container.Name}: {name} needs the pod field {path}.");
        }

        var (kind, reference) = from["configMapKeyRef"] is { } c ? ("ConfigMap", c) : ("Secret", from["secretKeyRef"]
            ?? throw new InvalidOperationException($"{container.Name}: {name} has an unsupported valueFrom."));
        var data = Data(kind, reference["name"]!.GetValue<string>());
        var key = reference["key"]!.GetValue<string>();
        return data is not null && data.TryGetValue(key, out var found)
            ? found
            : throw new InvalidOperationException($"{container.Name}: {name} refers to the missing {kind} key {reference["name"]}/{key}.");
    }
}

/// <summary>One object of the rendered output.</summary>
internal sealed record ManifestObject(JsonObject Json, IReadOnlyList<string> SchemaProblems)
{
    public string ApiVersion => Json["apiVersion"]?.GetValue<string>() ?? "";

    public string Kind => Json["kind"]?.GetValue<string>() ?? "";

    public string Name => Json["metadata"]?["name"]?.GetValue<string>() ?? "";

    public string? Namespace => Json["metadata"]?["namespace"]?.GetValue<string>();

    public IReadOnlyDictionary<string, string> Labels => StringMap(Json["metadata"]?["labels"]);

    public string? Component => Labels.GetValueOrDefault("app.kubernetes.io/component");

    public override string ToString() => $"{Kind} {Name}";

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node) =>
        (node as JsonObject)?.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "") ?? [];
}

/// <summary>An object that runs pods: its pod template and containers.</summary>
internal sealed record Workload(ManifestObject Object, JsonObject Template)
{
    private static readonly HashSet<string> Kinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"];

    public JsonObject PodSpec => (JsonObject)(Object.Kind == "Pod" ? Object.Json["spec"]! : Template["spec"]!);

    public IReadOnlyDictionary<string, string> PodLabels => ManifestObject.StringMap(Template["metadata"]?["labels"]);

    public IReadOnlyList<Container> InitContainers => Containers("initContainers", isInit: true);

    public IReadOnlyList<Container> MainContainers => Containers("containers", isInit: false);

    public IEnumerable<Container> AllContainers => InitContainers.Concat(MainContainers);

    public override string ToString() => Object.ToString();

    public static Workload? From(ManifestObject o)
    {
        if (!Kinds.Contains(o.Kind))
        {
            return null;
        }

        var template = o.Kind switch
        {
            "Pod" => o.Json,
            "CronJob" => o.Json["spec"]?["jobTemplate"]?["spec"]?["template"],
            _ => o.Json["spec"]?["template"],
        };
        return template is JsonObject t ? new Workload(o, t) : null;
    }

    private List<Container> Containers(string field, bool isInit) =>
        (PodSpec[field] as JsonArray ?? []).Select(c => new Container((JsonObject)c!, isInit)).ToList();
}

/// <summary>One container of a pod template.</summary>
internal sealed record Container(JsonObject Json, bool IsInit)
{
    public string Name => Json["name"]!.GetValue<string>();

    public string Image => Json["image"]?.GetValue<string>() ?? "";

    public IReadOnlyList<string> Command => Strings("command");

    public IReadOnlyList<string> Args => Strings("args");

    public string? WorkingDir => Json["workingDir"]?.GetValue<string>();

    /// <summary>Declared container ports by name.</summary>
    public IReadOnlyDictionary<string, int> Ports =>
        (Json["ports"] as JsonArray ?? []).Where(p => p!["name"] is not null)
            .ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["containerPort"]!.GetValue<int>());

    public JsonObject? Probe(string kind) => Json[kind] as JsonObject;

    /// <summary>The port number of a probe or Service target: a number, or the name of one of this container's ports.</summary>
    public int? ResolvePort(JsonNode? port) => port switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var number) => number,
        _ => Ports.TryGetValue(port.GetValue<string>(), out var named) ? named : null,
    };

    public override string ToString() => Name;

    private List<string> Strings(string field) => (Json[field] as JsonArray ?? []).Select(n => n!.GetValue<string>()).ToList();
}
