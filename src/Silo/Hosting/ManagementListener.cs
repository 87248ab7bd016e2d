using System.Text.Json;
using AuthCluster.Grains.Interfaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace AuthCluster.Silo.Hosting;

/// <summary>
/// The management listener (<c>Management:Urls</c>): <c>/metrics</c> and copies of <c>/health/live</c> and
/// <c>/health/ready</c> on a listener of their own, apart from the public API port, for operators and probes only.
/// Metrics count grain activations per type, which a public caller could correlate with its own requests to tell
/// whether an account exists; so they are never served where shop backends (or anyone who reaches them) call.
/// </summary>
/// <remarks>
/// A separate, minimal web application with its own Kestrel and an empty configuration: nothing configured for the
/// public API (Kestrel endpoints, certificates, URLs) applies to it, and nothing mapped on the public pipeline is
/// reachable through it. Health comes from the hosting process's own checks (tag <c>ready</c>).
/// </remarks>
public sealed partial class ManagementListener(
    string urls,
    HealthCheckService health,
    IHostEnvironment environment,
    ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    public const string UrlsKey = "Management:Urls";

    /// <summary>Default of an API node: loopback only, next to the public 5080.</summary>
    public const string ApiDefaultUrls = "http://127.0.0.1:5081";

    /// <summary>Default of a silo: loopback only, apart from an API node's on a developer's machine.</summary>
    public const string SiloDefaultUrls = "http://127.0.0.1:5082";

    public const string ReadyTag = "ready";

    private readonly ILogger _logger = loggers.CreateLogger<ManagementListener>();
    private WebApplication? _app;

    /// <summary>The addresses it listens on (with the actual port where <c>:0</c> was configured), once started.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment.EnvironmentName,
            ApplicationName = environment.ApplicationName,
            ContentRootPath = environment.ContentRootPath,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.AddServerHeader = false);
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Services.AddRoutingCore();

        // The host's logger factory, not a new one: the listener's logs go where the process's go. Registered as an
        // instance, so this application's container does not dispose it.
        builder.Services.AddSingleton(loggers);

        // Started and stopped by the process's host only: no console lifetime of its own that would react to SIGTERM
        // by itself (and stop answering probes while the silo is still handing over) or print a second banner.
        builder.Services.AddSingleton<IHostLifetime, HostOwnedLifetime>();

        var app = builder.Build();
        app.Use(SecurityHeaders.Apply);
        app.MapGet("/health/live", (RequestDelegate)Live);
        app.MapGet("/health/ready", (RequestDelegate)ReadyAsync);
        app.MapMetrics("/metrics");
        await app.StartAsync(cancellationToken);
        _app = app;
        Addresses = [.. app.Urls];
        LogListening(_logger, string.Join(", ", Addresses));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>Liveness: the process answers. Deliberately checks nothing else, so a slow database never gets a pod restarted.</summary>
    private static Task Live(HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(nameof(HealthStatus.Healthy), context.RequestAborted);
    }

    private async Task ReadyAsync(HttpContext context)
    {
        var report = await health.CheckHealthAsync(r => r.Tags.Contains(ReadyTag), context.RequestAborted);
        context.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.Headers.CacheControl = "no-store, no-cache";
        await HealthReportWriter.WriteAsync(context, report);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Management listener (metrics, health) on {Addresses}")]
    private static partial void LogListening(ILogger logger, string addresses);

    private sealed class HostOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>Adds the management listener to a host.</summary>
public static class ManagementListenerExtensions
{
    /// <summary>
    /// Serves <c>/metrics</c> and the health endpoints on <c>Management:Urls</c> (default <paramref name="defaultUrls"/>,
    /// loopback only). Call it before the silo or cluster client is added: hosted services start in order, and a
    /// probe must get an answer from <c>/health/live</c> while the silo is still joining.
    /// </summary>
    public static IHostApplicationBuilder AddManagementListener(this IHostApplicationBuilder builder, string defaultUrls)
    {
        LeanDefaultMetrics();
        var urls = builder.Configuration[ManagementListener.UrlsKey] is { Length: > 0 } configured ? configured : defaultUrls;
        builder.Services.AddHealthChecks();
        builder.Services.AddSingleton(sp => new ManagementListener(
            urls, sp.GetRequiredService<HealthCheckService>(), sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ManagementListener>());
        return builder;
    }

    /// <summary>
    /// What the default registry exports, decided before anything uses it (later calls have no effect). Orleans
    /// records its synchronous instruments (a counter or histogram per message and per grain call) only while a
    /// listener wants them, and then every call pays for the callback: only its observable instruments (activations
    /// per grain type, queue lengths, …), read when scraped, are exported. EventCounters are left out: the runtime's
    /// own meters carry the same numbers without a listener thread per process. AuthCluster's own counters are
    /// exported as counters by <see cref="TelemetryPrometheus"/>, not as the adapter's gauges.
    /// </summary>
    private static void LeanDefaultMetrics()
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressDebugMetrics = true });
        Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = instrument =>
            instrument.Meter.Name != AuthMeter.Name && !Telemetry.IsOrleansPerCallInstrument(instrument));
        TelemetryPrometheus.EnsureStarted();
    }
}

/// <summary>Response headers every listener of the service sends.</summary>
public static class SecurityHeaders
{
    /// <summary>
    /// <c>X-Content-Type-Options: nosniff</c> on every response, errors included: set when the response starts, so
    /// that an exception handler clearing the headers does not drop it.
    /// </summary>
    public static Task Apply(HttpContext context, Func<Task> next)
    {
        context.Response.OnStarting(static state =>
        {
            ((HttpResponse)state).Headers.XContentTypeOptions = "nosniff";
            return Task.CompletedTask;
        }, context.Response);
        return next();
    }
}

/// <summary>The readiness report: overall status plus each check's status and description (never secrets).</summary>
public static class HealthReportWriter
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("status", report.Status.ToString());
        writer.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            writer.WriteStartObject(name);
            writer.WriteString("status", entry.Status.ToString());
            if (entry.Description is not null)
            {
                writer.WriteString("description", entry.Description);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
