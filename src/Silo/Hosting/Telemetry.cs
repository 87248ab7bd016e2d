using System.Diagnostics.Metrics;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration.Memory;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AuthCluster.Silo.Hosting;

/// <summary>
/// OpenTelemetry for API nodes and silos: traces from the HTTP request through the grain calls to PostgreSQL, and
/// metrics (ASP.NET Core, HttpClient, Npgsql, .NET runtime, Orleans, <see cref="AuthMeter"/>). Exported over OTLP
/// only when the standard <c>OTEL_EXPORTER_OTLP_*</c> variables name an endpoint; otherwise no provider exists, so
/// no span is even created. <c>/metrics</c> on the management listener does not depend on it.
/// </summary>
public static class Telemetry
{
    public const string Api = "api";
    public const string Silo = "silo";

    /// <summary>
    /// Orleans' activity source for calls to application grains (ours). Its sibling <c>Microsoft.Orleans.Runtime</c>
    /// traces Orleans' own system grains (membership, reminders, directory): background chatter in no request's trace.
    /// </summary>
    public const string OrleansApplicationSource = "Microsoft.Orleans.Application";

    public const string OrleansMeter = "Microsoft.Orleans";

    private static readonly string[] OtlpEndpointKeys =
        ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"];

    /// <summary>
    /// Telemetry of an API node (<see cref="Api"/>) or a silo (<see cref="Silo"/>). Traces cross grain calls whether
    /// or not anything records them: Orleans carries the W3C trace context in each call's request context, and starts
    /// a span only while a listener wants it.
    /// </summary>
    public static IHostApplicationBuilder AddAuthTelemetry(this IHostApplicationBuilder builder, string service)
    {
        var configuration = builder.Configuration;
        QuietByDefault(configuration);
        if (service == Silo || ClusterSettings.From(configuration).IsEmbedded)
        {
            builder.UseOrleans(silo => silo.AddActivityPropagation());
        }
        else
        {
            builder.UseOrleansClient(client => client.AddActivityPropagation());
        }

        // What to record, declared whether or not a provider is built: these only take effect once something asks
        // for traces or metrics (the OTLP exporter below, or a test's in-memory exporter).
        var services = builder.Services;
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddAspNetCoreInstrumentation(o => o.Filter = IsTraced)
            .AddHttpClientInstrumentation()
            .AddSource(OrleansApplicationSource)
            .AddNpgsql());
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics
            .AddMeter(AuthMeter.Name, OrleansMeter)
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            .AddNpgsqlInstrumentation()
            .AddView(instrument => IsOrleansPerCallInstrument(instrument) ? MetricStreamConfiguration.Drop : null));

        if (OtlpEndpointKeys.Any(key => !string.IsNullOrWhiteSpace(configuration[key])))
        {
            // UseOtlpExporter reads the other OTEL_* variables itself (protocol, headers, per-signal endpoints).
            services.AddOpenTelemetry()
                .ConfigureResource(resource =>
                {
                    if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                    {
                        resource.AddService("authcluster-" + service);
                    }
                })
                .WithTracing()
                .WithMetrics()
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// Orleans' synchronous instruments (a counter or histogram per message and per grain call) make every call pay
    /// for a callback once anything listens; its observable ones (activations per grain type, queue lengths) are
    /// read only when collected. Only the latter are exported, to OTLP and to <c>/metrics</c> alike.
    /// </summary>
    internal static bool IsOrleansPerCallInstrument(Instrument instrument) =>
        instrument.Meter.Name.StartsWith(OrleansMeter, StringComparison.Ordinal) && !instrument.IsObservable;

    /// <summary>Probes and scrapes (every few seconds, on the management listener) would bury the requests.</summary>
    private static bool IsTraced(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics");

    /// <summary>
    /// At Information, Orleans logs every start-up option and membership step, Polly every placement attempt
    /// (<c>Source: 'Orleans.Placement/…'</c>), and ASP.NET Core every probe and scrape on the management listener:
    /// noise next to the service's own logs. Warning unless configured otherwise — this source comes first, so
    /// appsettings, the environment (<c>Logging__LogLevel__Polly=Information</c>) and the command line override it.
    /// </summary>
    private static void QuietByDefault(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Orleans"] = "Warning",
                ["Logging:LogLevel:Polly"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            },
        });
}
