using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AuthCluster.Grains.Interfaces;
using Prometheus;

namespace AuthCluster.Silo.Hosting;

/// <summary>
/// Shows the <see cref="AuthMeter"/> counters on <c>/metrics</c> as Prometheus counters under their stable names
/// (<c>authcluster_logins_total</c>, …). prometheus-net's own meter adapter would export them as gauges named after
/// the meter and instrument, which expire when idle: <c>rate()</c> over them breaks, and so would every dashboard
/// and alert. One listener per process, however many hosts (tests) it runs, so nothing is counted twice.
/// </summary>
internal static class TelemetryPrometheus
{
    private static readonly Lazy<MeterListener> Listener = new(Listen);

    private static readonly ConcurrentDictionary<Instrument, Counter> Counters = new();

    public static void EnsureStarted() => _ = Listener.Value;

    private static MeterListener Listen()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == AuthMeter.Name && instrument is Counter<long>)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>(Record);
        listener.Start();
        return listener;
    }

    private static void Record(Instrument instrument, long increment, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        // Each instrument is recorded with the same tag keys every time (AuthMeter's helpers), so they name the labels.
        var labels = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            labels[i] = tags[i].Value?.ToString() ?? "";
        }

        try
        {
            if (!Counters.TryGetValue(instrument, out var counter))
            {
                // Creating the same counter twice (a race) returns the one registered first.
                counter = Counters.GetOrAdd(instrument, Metrics.CreateCounter(AuthMeter.PrometheusName(instrument), instrument.Description ?? instrument.Name, LabelNames(tags)));
            }

            counter.WithLabels(labels).Inc(increment);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            // This runs inside Counter.Add, in a request or a grain call: counting must never fail what it counts.
            // prometheus-net refuses only a name or label set that disagrees with an earlier one, a misuse of
            // AuthMeter that the metrics tests would show as a missing series.
        }
    }

    private static string[] LabelNames(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = tags[i].Key;
        }

        return names;
    }
}
