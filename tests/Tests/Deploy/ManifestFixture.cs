using System.Text.Json.Nodes;

namespace AuthCluster.Tests.Deploy;

[CollectionDefinition(Name)]
public sealed class ManifestCollection : ICollectionFixture<ManifestFixture>
{
    public const string Name = "Kubernetes manifests";
}

/// <summary>
/// Every overlay rendered once with the real kustomize and validated: <c>dev</c> as committed, <c>production</c>
/// with its secrets.env made from secrets.env.example (as docs/kubernetes.md says), and
/// <c>production+monitoring</c> with the optional monitoring component added the documented way.
/// </summary>
public sealed class ManifestFixture : IAsyncLifetime
{
    public static readonly string[] OverlayNames = ["dev", "production", "production+monitoring"];

    private readonly Dictionary<string, RenderedManifests> _overlays = [];
    private string? _unavailable;
    private string? _workDirectory;

    internal ManifestTools? Tools { get; private set; }

    internal static string DeployDirectory => Path.Combine(ManifestTools.RepositoryRoot, "deploy");

    /// <summary>The rendered overlay; skips the test when the tools are unavailable, except in CI, where it fails.</summary>
    internal RenderedManifests Overlay(string name)
    {
        RequireTools();
        return _overlays[name];
    }

    internal ManifestTools RequireTools()
    {
        if (_unavailable is not null && Environment.GetEnvironmentVariable("CI") == "true")
        {
            throw new InvalidOperationException(_unavailable);
        }

        Skip.If(_unavailable is not null, _unavailable);
        return Tools!;
    }

    public async Task InitializeAsync()
    {
        (Tools, _unavailable) = await ManifestTools.InstallAsync();
        if (Tools is null)
        {
            return;
        }

        // A copy of deploy/k8s, so that the untracked secrets.env the production overlay needs never lands in
        // the working tree.
        _workDirectory = Directory.CreateTempSubdirectory("authcluster-k8s-").FullName;
        var k8s = Path.Combine(_workDirectory, "k8s");
        CopyDirectory(Path.Combine(DeployDirectory, "k8s"), k8s);
        var production = Path.Combine(k8s, "overlays", "production");
        File.Copy(Path.Combine(production, "secrets.env.example"), Path.Combine(production, "secrets.env"), overwrite: true);
        var monitored = Path.Combine(k8s, "overlays", "production-monitoring");
        CopyDirectory(production, monitored);
        // Added to the overlay's list of components, as its comment says.
        var kustomization = Path.Combine(monitored, "kustomization.yaml");
        var text = await File.ReadAllTextAsync(kustomization);
        Assert.Contains("\ncomponents:\n", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(kustomization, text.Replace("\ncomponents:\n", "\ncomponents:\n  - ../../components/monitoring\n", StringComparison.Ordinal));

        await RenderAsync("dev", Path.Combine(DeployDirectory, "k8s", "overlays", "dev"));
        await RenderAsync("production", production);
        await RenderAsync("production+monitoring", monitored);
    }

    public Task DisposeAsync()
    {
        if (_workDirectory is not null)
        {
            Directory.Delete(_workDirectory, recursive: true);
        }

        return Task.CompletedTask;
    }

    private async Task RenderAsync(string name, string directory)
    {
        var yaml = await Tools!.KustomizeAsync(directory);
        var file = Path.Combine(_workDirectory!, name + ".yaml");
        await File.WriteAllTextAsync(file, yaml);
        var documents = await Tools.ValidateAsync(file);
        _overlays[name] = new RenderedManifests(name, documents
            .Select(d => new ManifestObject(
                (JsonObject)d!["object"]!,
                d["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToList()))
            .ToList());
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
