using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.Json.Nodes;
using AuthCluster.Grains.Interfaces;
using System.Text.RegularExpressions;

namespace AuthCluster.Tests.Deploy;

/// <summary>The image build and the telemetry files in deploy/: checks that need no Kubernetes tools.</summary>
public sealed partial class DeployFileTests
{
    /// <summary>AuthCluster's own counters under the names <c>/metrics</c> gives them.</summary>
    private static readonly HashSet<string> OwnMetrics = typeof(AuthMeter)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => f.GetValue(null))
        .OfType<Instrument>()
        .Select(AuthMeter.PrometheusName)
        .ToHashSet();

    // prometheus-net's HTTP middleware (UseHttpMetrics) and kube-state-metrics.
    private static readonly HashSet<string> ExternalMetrics =
    [
        "http_request_duration_seconds_bucket", "http_request_duration_seconds_count", "http_request_duration_seconds_sum",
        "http_requests_received_total", "http_requests_in_progress",
        "kube_deployment_spec_replicas", "kube_deployment_status_replicas_ready",
    ];

    private static string Deploy(params string[] path) => Path.Combine([ManifestTools.RepositoryRoot, "deploy", .. path]);

    [Fact]
    public void Dockerfile_RuntimeImage_IsChiseledAndRunsAsNumericUser()
    {
        // Act
        var lines = File.ReadAllLines(Deploy("Dockerfile")).Select(l => l.Trim()).ToList();
        var final = lines.Last(l => l.StartsWith("FROM ", StringComparison.Ordinal));

        // Assert
        Assert.Equal("FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled", final);
        Assert.Equal("USER $APP_UID", lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Dockerfile_RestoreLayer_CopiesEveryProjectBeforeTheSources()
    {
        // Arrange
        var lines = File.ReadAllLines(Deploy("Dockerfile")).Select(l => l.Trim()).ToList();
        var restore = lines.FindIndex(l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        var sources = lines.FindIndex(l => l.StartsWith("COPY src/ ", StringComparison.Ordinal));
        var projects = Directory.EnumerateFiles(Path.Combine(ManifestTools.RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(ManifestTools.RepositoryRoot, p).Replace('\\', '/'))
            .Append("Directory.Packages.props")
            .Append("Directory.Build.props");

        // Assert: a new project missing here would fail to restore in the cached layer.
        Assert.InRange(restore, 0, sources - 1);
        Assert.All(projects, project => Assert.Contains(lines.Take(restore), l =>
            l.StartsWith("COPY ", StringComparison.Ordinal) && l.Split(' ').Contains(project)));
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputDataAndHistoryOut()
    {
        // Act
        var patterns = File.ReadAllLines(Path.Combine(ManifestTools.RepositoryRoot, ".dockerignore")).Select(l => l.Trim()).ToHashSet();

        // Assert: above all a developer's data/ (SQLite database and development key-encryption key).
        Assert.Superset(new HashSet<string> { "**/bin/", "**/obj/", "**/data/", ".git", "**/TestResults/", "**/secrets.env" }, patterns);
    }

    [Fact]
    public void ProductionSecrets_AreIgnoredByGit()
    {
        var ignored = File.ReadAllLines(Deploy("k8s", "overlays", "production", ".gitignore")).Select(l => l.Trim());

        Assert.Contains("secrets.env", ignored);
    }

    [Fact]
    public void Observability_EveryMetric_IsExportedOrKnownPending()
    {
        // Arrange
        var text = File.ReadAllText(Deploy("observability", "alerts.yaml")) + File.ReadAllText(Deploy("observability", "grafana-dashboard.json"));

        // Act
        var used = MetricName().Matches(text).Select(m => m.Value).ToHashSet();

        // Assert: our own counters are AuthMeter's (a renamed counter breaks this), others are known.
        Assert.Contains("authcluster_logins_total", used);
        Assert.Contains("authcluster_refresh_reuse_detections_total", used);
        Assert.Contains("authcluster_email_deliveries_total", used);
        Assert.Contains("http_request_duration_seconds_bucket", used);
        Assert.All(used, name => Assert.True(
            ExternalMetrics.Contains(name) || OwnMetrics.Contains(name),
            $"{name} is neither one of AuthMeter's counters nor a known external metric."));
    }

    [Fact]
    public void Dashboard_EveryPanel_QueriesThePrometheusDataSourceVariable()
    {
        // Act
        var dashboard = JsonNode.Parse(File.ReadAllText(Deploy("observability", "grafana-dashboard.json")))!;
        var panels = dashboard["panels"]!.AsArray().Where(p => p!["type"]!.GetValue<string>() != "row").ToList();

        // Assert
        Assert.Equal("authcluster", dashboard["uid"]!.GetValue<string>());
        Assert.NotEmpty(panels);
        Assert.All(panels, p => Assert.All(p!["targets"]!.AsArray(), t =>
        {
            Assert.Equal("${datasource}", t!["datasource"]!["uid"]!.GetValue<string>());
            Assert.Contains("namespace=\"$namespace\"", t["expr"]!.GetValue<string>(), StringComparison.Ordinal);
        }));
    }

    [GeneratedRegex(@"\b(?:authcluster|http|kube)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
