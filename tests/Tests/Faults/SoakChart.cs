using System.Globalization;
using System.Text;

namespace AuthCluster.Tests.Faults;

/// <summary>One time bucket of a soak: requests, failures and the 99th percentile of their latency.</summary>
internal sealed record LoadBucket(TimeSpan At, int Requests, int Failed, TimeSpan P99);

/// <summary>A fault of the soak, from when it was made to when it was healed.</summary>
internal sealed record FaultMark(TimeSpan At, TimeSpan Healed, string Name);

/// <summary>The resident memory of one node at one moment.</summary>
internal sealed record MemorySample(TimeSpan At, string Node, double Megabytes);

/// <summary>
/// Draws a soak run as one SVG (no dependency, no external service): throughput, p99 latency, failures and the
/// nodes' memory over time in four panels sharing the time axis, every fault a shaded band from fault to heal.
/// </summary>
internal static class SoakChart
{
    private const int Width = 1100;
    private const int PanelHeight = 150;
    private const int Left = 70;
    private const int Right = 160;
    private const int Top = 40;
    private const int Gap = 40;

    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];

    public static string Render(string title, TimeSpan bucket, IReadOnlyList<LoadBucket> load, IReadOnlyList<FaultMark> faults, IReadOnlyList<MemorySample> memory)
    {
        var end = new[] { load.Count == 0 ? TimeSpan.Zero : load.Max(b => b.At) + bucket, memory.Count == 0 ? TimeSpan.Zero : memory.Max(m => m.At) }.Max();
        var seconds = Math.Max(1, end.TotalSeconds);
        var svg = new StringBuilder();
        var height = Top + (4 * (PanelHeight + Gap)) + 20;
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/><text x=\"{Left}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>"));

        var panels = new (string Name, Func<string, IEnumerable<(TimeSpan At, double Value)>>? Series, string[] Keys)[]
        {
            ("requests/s", _ => load.Select(b => (b.At, b.Requests / bucket.TotalSeconds)), ["all"]),
            ("p99 latency (ms)", _ => load.Select(b => (b.At, b.P99.TotalMilliseconds)), ["p99"]),
            ("failed requests/s", _ => load.Select(b => (b.At, b.Failed / bucket.TotalSeconds)), ["failed"]),
            ("resident memory (MB)", node => memory.Where(m => m.Node == node).Select(m => (m.At, m.Megabytes)), [.. memory.Select(m => m.Node).Distinct().Order()]),
        };

        for (var p = 0; p < panels.Length; p++)
        {
            var (name, series, keys) = panels[p];
            var y0 = Top + (p * (PanelHeight + Gap));
            var all = keys.SelectMany(k => series!(k)).ToList();
            var max = NiceMax(all.Count == 0 ? 1 : all.Max(v => v.Value));
            double X(TimeSpan t) => Left + ((Width - Left - Right) * t.TotalSeconds / seconds);
            double Y(double v) => y0 + PanelHeight - (PanelHeight * Math.Min(v, max) / max);

            foreach (var fault in faults)
            {
                svg.Append(Invariant($"<rect x=\"{X(fault.At):F1}\" y=\"{y0}\" width=\"{Math.Max(2, X(fault.Healed) - X(fault.At)):F1}\" height=\"{PanelHeight}\" fill=\"#d62728\" fill-opacity=\"0.12\"/>"));
                svg.Append(Invariant($"<line x1=\"{X(fault.At):F1}\" x2=\"{X(fault.At):F1}\" y1=\"{y0}\" y2=\"{y0 + PanelHeight}\" stroke=\"#d62728\" stroke-dasharray=\"3,2\"/>"));
                if (p == 0)
                {
                    svg.Append(Invariant($"<text x=\"{X(fault.At) + 2:F1}\" y=\"{y0 - 4}\" fill=\"#d62728\" font-size=\"9\" transform=\"rotate(-20 {X(fault.At) + 2:F1} {y0 - 4})\">{Escape(fault.Name)}</text>"));
                }
            }

            svg.Append(Invariant($"<rect x=\"{Left}\" y=\"{y0}\" width=\"{Width - Left - Right}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#444\"/>"));
            svg.Append(Invariant($"<text x=\"8\" y=\"{y0 + 12}\" font-weight=\"bold\">{Escape(name)}</text>"));
            for (var tick = 0; tick <= 4; tick++)
            {
                var value = max * tick / 4;
                svg.Append(Invariant($"<text x=\"{Left - 4}\" y=\"{Y(value) + 4:F1}\" text-anchor=\"end\">{value:0.#}</text>"));
                svg.Append(Invariant($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(value):F1}\" y2=\"{Y(value):F1}\" stroke=\"#ddd\"/>"));
            }

            for (var k = 0; k < keys.Length; k++)
            {
                var points = series!(keys[k]).OrderBy(v => v.At).Select(v => Invariant($"{X(v.At):F1},{Y(v.Value):F1}"));
                svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{Palette[k % Palette.Length]}\" stroke-width=\"1.3\" points=\"{string.Join(' ', points)}\"/>"));
                if (keys.Length > 1)
                {
                    svg.Append(Invariant($"<text x=\"{Width - Right + 8}\" y=\"{y0 + 14 + (k * 14)}\" fill=\"{Palette[k % Palette.Length]}\">{Escape(keys[k])}</text>"));
                }
            }

            var axis = y0 + PanelHeight + 14;
            var step = NiceMax(seconds / 10);
            for (var t = 0.0; t <= seconds; t += step)
            {
                svg.Append(Invariant($"<text x=\"{X(TimeSpan.FromSeconds(t)):F1}\" y=\"{axis}\" text-anchor=\"middle\">{t / 60:0.#} min</text>"));
            }
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Buckets a history's calls by start time.</summary>
    public static List<LoadBucket> Buckets(IEnumerable<HistoryEntry> entries, DateTime origin, TimeSpan bucket) =>
        [.. entries.GroupBy(e => (long)((e.Start - origin) / bucket)).OrderBy(g => g.Key).Select(g =>
        {
            var latencies = g.Select(e => e.End - e.Start).Order().ToList();
            return new LoadBucket(g.Key * bucket, latencies.Count, g.Count(e => e.Unknown), latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * 0.99))]);
        })];

    private static double NiceMax(double value)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(value, 1e-9))));
        return new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * magnitude).First(v => v >= value);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
