using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using AuthCluster.Silo.Hosting;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using AuthTelemetry = AuthCluster.Silo.Hosting.Telemetry;

namespace AuthCluster.Tests.Telemetry;

/// <summary>
/// One request, one trace: the API's server span, the Orleans client and server spans of the grain calls it makes,
/// and the PostgreSQL commands those grains run, recorded with the in-memory exporter — on an Embedded node whose
/// grain storage is PostgreSQL, and across the gateway hop from an API node in Client mode to a silo.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public sealed class TracePropagationTests(PostgreSqlFixture database)
{
    [SkippableFact]
    public async Task Register_EmbeddedOnPostgreSql_OneTraceFromApiThroughGrainsToDatabase()
    {
        // Arrange
        Skip.If(database.ConnectionString is null, PostgreSqlFixture.SkipReason);
        await using var settings = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["Storage:ConnectionString"] = database.ConnectionString,
        });

        // Act and Assert
        await AssertOneTraceAsync(settings);
    }

    [SkippableFact]
    public async Task Register_ClientModeApiAndSilo_TraceCrossesTheGatewayHop()
    {
        // Arrange: a silo host and an API node in Client mode, talking over the gateway as in a cluster.
        Skip.If(database.ConnectionString is null, PostgreSqlFixture.SkipReason);
        var (clusterId, gatewayPort) = ("trace-" + Guid.NewGuid().ToString("N")[..8], TestSilo.FreePort().ToString(CultureInfo.InvariantCulture));
        var mail = Path.Combine(Path.GetTempPath(), "authcluster-trace-mail-" + Guid.NewGuid().ToString("N"));
        await using var silo = await TestSilo.StartAsync(builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "PostgreSql",
                ["Storage:ConnectionString"] = database.ConnectionString,
                ["Cluster:ClusterId"] = clusterId,
                ["Cluster:SiloPort"] = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture),
                ["Cluster:GatewayPort"] = gatewayPort,
                ["Auth:Signing:KeyEncryptionKey"] = AuthApiFactory.TestKek,
                ["Auth:Passwords:BcryptCost"] = "4",
                ["Email:Provider"] = "Pickup",
                ["Email:From"] = "Shop <no-reply@shop.example>",
                ["Email:PickupDirectory"] = mail,
                ["Management:Urls"] = "http://127.0.0.1:0",
            });
            builder.AddSiloManagement();
            builder.AddAuthTelemetry(AuthTelemetry.Silo);
            builder.UseAuthSilo();
        });
        await using var settings = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Cluster:Mode"] = "Client",
            ["Cluster:ClusterId"] = clusterId,
            ["Cluster:GatewayPort"] = gatewayPort,
        });

        // Act and Assert: the silo host's spans are recorded too (activity listeners are process-wide).
        await AssertOneTraceAsync(settings);
    }

    /// <summary>
    /// Registers through <paramref name="settings"/> with an in-memory exporter and asserts that some PostgreSQL
    /// command span descends from an Orleans server span, which descends from an Orleans client span, which
    /// descends from the API's server span of the request.
    /// </summary>
    private static async Task AssertOneTraceAsync(AuthApiFactory settings)
    {
        var spans = new SpanList();
        await using var factory = settings.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
            services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(spans))));
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic(AuthApiFactory.ClientA, AuthApiFactory.SecretA);

        // Activity listeners are process-wide: other tests' hosts record their requests into this list too. The
        // request joins a trace of the test's own (as a shop backend's traced call would), which tells it apart.
        var traceId = ActivityTraceId.CreateRandom();
        http.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        using var response = await http.RegisterAsync(TestApi.UniqueEmail("traced"));

        // The server span ends after the response is sent.
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Activity? request = null;
        await Poll.UntilAsync(
            () => (request = spans.Snapshot().FirstOrDefault(s => s.TraceId == traceId && IsRegisterRequest(s))) is not null,
            "the register request's server span");
        var trace = spans.Snapshot().Where(s => s.TraceId == traceId).ToDictionary(s => s.SpanId);

        var commands = trace.Values.Where(s => s.Source.Name == "Npgsql").ToList();
        Assert.NotEmpty(commands);
        var chains = commands.Select(s => Ancestors(s, trace).ToList()).ToList();
        Assert.Contains(chains, chain =>
            chain.FindIndex(IsOrleansServer) is var server and >= 0
            && chain.FindIndex(IsOrleansClient) is var client && client > server
            && chain.FindIndex(s => s.SpanId == request!.SpanId) > client);
    }

    private static bool IsRegisterRequest(Activity span) =>
        span.Kind == ActivityKind.Server && span.Source.Name == "Microsoft.AspNetCore"
        && span.GetTagItem("url.path") as string == "/v1/auth/register";

    private static bool IsOrleansServer(Activity span) =>
        span.Source.Name == AuthTelemetry.OrleansApplicationSource && span.Kind == ActivityKind.Server;

    private static bool IsOrleansClient(Activity span) =>
        span.Source.Name == AuthTelemetry.OrleansApplicationSource && span.Kind == ActivityKind.Client;

    /// <summary>The span's parents within the trace, nearest first.</summary>
    private static IEnumerable<Activity> Ancestors(Activity span, Dictionary<ActivitySpanId, Activity> trace)
    {
        for (var parent = span.ParentSpanId; trace.TryGetValue(parent, out var next); parent = next.ParentSpanId)
        {
            yield return next;
        }
    }

    /// <summary>The exporter appends as spans end, on whichever thread ends them, while the test reads.</summary>
    private sealed class SpanList : Collection<Activity>
    {
        public Activity[] Snapshot()
        {
            lock (Items)
            {
                return [.. Items];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (Items)
            {
                base.InsertItem(index, item);
            }
        }
    }
}
