using System.Text.Json.Nodes;

namespace AuthCluster.Tests.Deploy;

/// <summary>Each rule of <see cref="ManifestRules"/> catches the mistake it exists for, in an otherwise good overlay.</summary>
[Collection(ManifestCollection.Name)]
public sealed class ManifestRuleTests(ManifestFixture fixture)
{
    [SkippableFact]
    public void RestrictedProfile_WritableRootFilesystemInInitContainer_IsReported()
    {
        var broken = Change("Deployment", "authcluster-silo", d =>
            Pod(d)["initContainers"]![0]!["securityContext"]!.AsObject().Remove("readOnlyRootFilesystem"));

        Assert.Contains(ManifestRules.RestrictedProfile(broken), v => v.Contains("container schema: readOnlyRootFilesystem", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void RestrictedProfile_RootUserAndMountedToken_AreReported()
    {
        var broken = Change("Deployment", "authcluster-api", d =>
        {
            Pod(d)["securityContext"]!["runAsUser"] = 0;
            Pod(d).Remove("automountServiceAccountToken");
        });

        var violations = ManifestRules.RestrictedProfile(broken).ToList();
        Assert.Contains(violations, v => v.Contains("no numeric non-root runAsUser", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("automountServiceAccountToken", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void NetworkPolicies_GatewayOpenToEveryPod_IsReported()
    {
        var broken = Change("NetworkPolicy", "authcluster-silo", p =>
            p["spec"]!["ingress"]![0]!.AsObject().Remove("from"));

        Assert.Contains(ManifestRules.NetworkPolicies(broken), v => v.Contains($"port {ManifestRules.GatewayPort} is open to every source", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void NetworkPolicies_SiloPortAdmittingAnotherNamespace_IsReported()
    {
        var broken = Change("NetworkPolicy", "authcluster-silo", p =>
            p["spec"]!["ingress"]![0]!["from"]!.AsArray().Add(new JsonObject { ["namespaceSelector"] = new JsonObject() }));

        Assert.Contains(ManifestRules.NetworkPolicies(broken), v => v.Contains($"port {ManifestRules.SiloPort} admits", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void NetworkPolicies_NoPolicyForPostgreSql_IsReported()
    {
        var manifests = fixture.Overlay("dev");
        var broken = new RenderedManifests("broken", manifests.Objects.Where(o => !(o.Kind == "NetworkPolicy" && o.Name == "postgres")).ToList());

        Assert.Contains(ManifestRules.NetworkPolicies(broken), v => v.Contains("StatefulSet postgres: no Ingress NetworkPolicy", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void ManagementProbes_ReadinessOnThePublicPort_IsReported()
    {
        var broken = Change("Deployment", "authcluster-api", d =>
            Pod(d)["containers"]![0]!["readinessProbe"]!["httpGet"]!["port"] = "http");

        Assert.Contains(ManifestRules.ManagementProbes(broken), v => v.Contains("readinessProbe is not on the management port", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Images_MovingTag_IsReported()
    {
        var broken = Change("Deployment", "authcluster-silo", d => Pod(d)["containers"]![0]!["image"] = "authcluster:latest");

        Assert.Contains(ManifestRules.Images(broken), v => v.Contains("moving tag latest", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void GracePeriods_SiloGraceBelowShutdownTimeout_IsReported()
    {
        var broken = Change("Deployment", "authcluster-silo", d => Pod(d)["terminationGracePeriodSeconds"] = 20);

        Assert.Contains(ManifestRules.GracePeriods(broken), v => v.StartsWith("Deployment authcluster-silo: terminationGracePeriodSeconds 20", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void DisruptionBudgets_Missing_IsReported()
    {
        var manifests = fixture.Overlay("dev");
        var broken = new RenderedManifests("broken", manifests.Objects.Where(o => o.Kind != "PodDisruptionBudget").ToList());

        Assert.Equal(2, ManifestRules.DisruptionBudgets(broken).Count());
    }

    [SkippableFact]
    public void SchemaStep_MissingInitContainer_IsReported()
    {
        var broken = Change("Deployment", "authcluster-silo", d => Pod(d).Remove("initContainers"));

        Assert.Contains(ManifestRules.SchemaStep(broken), v => v.Contains("no init container runs", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Environment_ReferenceToMissingSecret_Throws()
    {
        var broken = Change("Deployment", "authcluster-api", d =>
            Pod(d)["containers"]![0]!["envFrom"]![1]!["secretRef"]!["name"] = "authcluster");
        var api = broken.Component("api").Single().MainContainers.Single();

        Assert.Throws<InvalidOperationException>(() => broken.Environment(api, ManifestRules.SampleFields));
        Assert.Contains(ManifestRules.GeneratedConfiguration(broken), v => v.Contains("authcluster is not a generated name", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void ClusterTls_CertificateSecretNotMounted_IsReported()
    {
        var broken = Change("Deployment", "authcluster-api", d =>
        {
            var mounts = Pod(d)["containers"]![0]!["volumeMounts"]!.AsArray();
            mounts.Remove(mounts.Single(m => m!["name"]!.GetValue<string>() == "cluster-tls"));
        });

        Assert.Contains(ManifestRules.ClusterTls(broken), v => v.Contains("Deployment authcluster-api: Cluster__Tls__Directory /etc/authcluster/tls is not where a Secret is mounted", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void ClusterTls_CertificateWithoutClientAuth_IsReported()
    {
        var broken = Change("Certificate", "authcluster-cluster-tls", c => c["spec"]!["usages"] = new JsonArray("digital signature", "server auth"));

        Assert.Contains(ManifestRules.ClusterTls(broken), v => v.Contains("no usage client auth", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void ClusterTls_NoDirectory_IsReportedUnlessOptedOut()
    {
        static void WithoutDirectory(JsonObject d, bool optOut)
        {
            var env = Pod(d)["containers"]![0]!["env"]!.AsArray();
            env.Remove(env.Single(e => e!["name"]!.GetValue<string>() == "Cluster__Tls__Directory"));
            if (optOut)
            {
                env.Add(new JsonObject { ["name"] = "Cluster__Tls__Disabled", ["value"] = "true" });
            }
        }

        var broken = Change("Deployment", "authcluster-silo", d => WithoutDirectory(d, optOut: false));
        var optedOut = Change("Deployment", "authcluster-silo", d => WithoutDirectory(d, optOut: true));

        Assert.Contains(ManifestRules.ClusterTls(broken), v => v.Contains("Deployment authcluster-silo: AdoNet clustering without Cluster__Tls__Directory", StringComparison.Ordinal));
        Assert.Empty(ManifestRules.ClusterTls(optedOut));
    }

    private static JsonObject Pod(JsonObject workload) => workload["spec"]!["template"]!["spec"]!.AsObject();

    private RenderedManifests Change(string kind, string name, Action<JsonObject> change)
    {
        var manifests = fixture.Overlay("dev");
        var target = manifests.Find(kind, name) ?? throw new InvalidOperationException($"{kind} {name} is not rendered.");
        return new RenderedManifests("broken", manifests.Objects.Select(o =>
        {
            var copy = (JsonObject)o.Json.DeepClone();
            if (ReferenceEquals(o, target))
            {
                change(copy);
            }

            return o with { Json = copy };
        }).ToList());
    }
}
