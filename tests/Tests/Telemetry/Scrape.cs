using System.Globalization;

namespace AuthCluster.Tests.Telemetry;

/// <summary>Reads one series out of a Prometheus text exposition.</summary>
internal static class Scrape
{
    /// <summary>
    /// The value of <paramref name="series"/> (a name, with its labels as exposed, e.g.
    /// <c>authcluster_email_deliveries_total{outcome="sent"}</c>), or null when the series is not exposed.
    /// </summary>
    public static double? Value(string exposition, string series) => exposition
        .Split('\n')
        .Where(line => line.StartsWith(series + " ", StringComparison.Ordinal))
        .Select(line => (double?)double.Parse(line[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture))
        .FirstOrDefault();
}
