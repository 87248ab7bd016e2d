using System.Text.Json.Nodes;

namespace AuthCluster.Tests.Deploy;

/// <summary>
/// deploy/k8s rendered by the real kustomize and checked offline: Kubernetes schemas, the restricted Pod Security
/// profile, and the project's rules (docs/kubernetes.md).
/// </summary>
[Collection(ManifestCollection.Name)]
public sealed class ManifestTests(ManifestFixture fixture)
{
    public static TheoryData<string> Overlays => new(ManifestFixture.OverlayNames);

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_EveryObject_ValidatesAgainstTheKubernetesSchemas(string overlay)
    {
        // Act
        var manifests = fixture.Overlay(overlay);

        // Assert
        Assert.NotEmpty(manifests.Objects);
        Assert.Empty(manifests.Objects.SelectMany(o => o.SchemaProblems.Select(p => $"{o}: {p}")));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_EveryPod_PassesTheRestrictedProfile(string overlay) =>
        Assert.Empty(ManifestRules.RestrictedProfile(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_EveryObject_CarriesTheCommonLabels(string overlay) =>
        Assert.Empty(ManifestRules.Labels(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_EveryImage_HasAnExplicitVersion(string overlay) =>
        Assert.Empty(ManifestRules.Images(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_EveryContainer_HasRequestsAndLimits(string overlay) =>
        Assert.Empty(ManifestRules.Resources(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_ApiAndSilo_ProbeTheManagementPort(string overlay) =>
        Assert.Empty(ManifestRules.ManagementProbes(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_ApiAndSilo_HaveDisruptionBudgets(string overlay) =>
        Assert.Empty(ManifestRules.DisruptionBudgets(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_ApiAndSilo_SpreadOverNodesAndZones(string overlay) =>
        Assert.Empty(ManifestRules.TopologySpread(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_GracePeriods_OutlastShutdown(string overlay) =>
        Assert.Empty(ManifestRules.GracePeriods(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_Api_IsAutoscaledOnCpu(string overlay) =>
        Assert.Empty(ManifestRules.Autoscaling(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_SchemaStep_RunsBeforeEverySilo(string overlay) =>
        Assert.Empty(ManifestRules.SchemaStep(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_ConfigurationAndSecrets_HaveGeneratedNames(string overlay) =>
        Assert.Empty(ManifestRules.GeneratedConfiguration(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_OrleansAndDatabasePorts_AdmitOnlySilosAndApiNodes(string overlay) =>
        Assert.Empty(ManifestRules.NetworkPolicies(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_AdoNetNodes_UseClusterTlsOrOptOutExplicitly(string overlay) =>
        Assert.Empty(ManifestRules.ClusterTls(fixture.Overlay(overlay)));

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Render_Namespace_EnforcesTheRestrictedProfile(string overlay)
    {
        // Act
        var manifests = fixture.Overlay(overlay);

        // Assert: every namespaced object is in the one namespace, and admission enforces the profile there too.
        var ns = Assert.Single(manifests.OfKind("Namespace"));
        Assert.Equal("restricted", ns.Labels.GetValueOrDefault("pod-security.kubernetes.io/enforce"));
        Assert.All(manifests.Objects.Where(o => o.Kind != "Namespace"), o => Assert.Equal(ns.Name, o.Namespace));
    }

    [SkippableFact]
    public void Overlays_Dev_RunsPostgreSqlAndProductionDoesNot()
    {
        // Act
        var dev = fixture.Overlay("dev");
        var production = fixture.Overlay("production");

        // Assert
        Assert.Single(dev.Component("database"));
        Assert.Empty(production.Component("database"));
        Assert.All(production.Workloads.SelectMany(w => w.AllContainers), c => Assert.StartsWith("registry.example.com/authcluster:", c.Image));
    }

    [SkippableFact]
    public void Environment_SiloAndApi_GetWhatTheCodeReads()
    {
        // Arrange
        var manifests = fixture.Overlay("dev");
        var silo = manifests.Component("silo").Single().MainContainers.Single();
        var api = manifests.Component("api").Single().MainContainers.Single();

        // Act
        var siloEnvironment = manifests.Environment(silo, ManifestRules.SampleFields);
        var apiEnvironment = manifests.Environment(api, ManifestRules.SampleFields);

        // Assert: the pod's identity through the downward API, the settings from the ConfigMap, secrets decoded.
        Assert.Equal("10.244.0.17", siloEnvironment["Cluster__AdvertisedIP"]);
        Assert.Equal(ManifestRules.SampleFields["metadata.name"], siloEnvironment["Cluster__SiloName"]);
        Assert.Equal("/etc/authcluster/tls", siloEnvironment["Cluster__Tls__Directory"]);
        Assert.Equal("/etc/authcluster/tls", apiEnvironment["Cluster__Tls__Directory"]);
        Assert.Equal("service.namespace=authcluster,k8s.pod.name=" + ManifestRules.SampleFields["metadata.name"], siloEnvironment["OTEL_RESOURCE_ATTRIBUTES"]);
        Assert.Equal("Client", apiEnvironment["Cluster__Mode"]);
        foreach (var environment in new[] { siloEnvironment, apiEnvironment })
        {
            Assert.Equal("AdoNet", environment["Cluster__Clustering"]);
            Assert.Equal("PostgreSql", environment["Storage__Provider"]);
            Assert.StartsWith("Host=postgres;", environment["Storage__ConnectionString"]);
            Assert.Equal(32, Convert.FromBase64String(environment["Auth__Signing__KeyEncryptionKey"]).Length);
            Assert.Equal("json", environment["Logging__Console__FormatterName"]);
            Assert.Equal("Warning", environment["Logging__LogLevel__Orleans"]);
            Assert.Equal("Warning", environment["Logging__LogLevel__Polly"]);
            Assert.StartsWith("authcluster-", environment["OTEL_SERVICE_NAME"]);
        }
    }

    [SkippableFact]
    public async Task MonitoringComponent_AlertRules_EqualTheObservabilityFile()
    {
        // Arrange
        var tools = fixture.RequireTools();
        var manifests = fixture.Overlay("production+monitoring");

        // Act
        var alerts = (await tools.YamlToJsonAsync(Path.Combine(ManifestFixture.DeployDirectory, "observability", "alerts.yaml"))).Single()!;
        var rule = Assert.Single(manifests.OfKind("PrometheusRule"));
        var monitor = Assert.Single(manifests.OfKind("PodMonitor"));

        // Assert
        Assert.True(JsonNode.DeepEquals(alerts["groups"], rule.Json["spec"]!["groups"]), "deploy/observability/alerts.yaml and the PrometheusRule differ.");
        Assert.All(monitor.Json["spec"]!["podMetricsEndpoints"]!.AsArray(), e =>
        {
            Assert.Equal("management", e!["port"]!.GetValue<string>());
            Assert.Equal("/metrics", e["path"]!.GetValue<string>());
        });
        Assert.All(manifests.Component("api").Concat(manifests.Component("silo")),
            w => Assert.True(ManifestRules.Selects(monitor.Json["spec"]!["selector"], w.PodLabels), $"{w} is not scraped."));
    }
}
