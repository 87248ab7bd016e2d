using System.Diagnostics;
using AuthCluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AuthCluster.Tests.Http;

/// <summary>
/// From the public port, a login or reset request for an existing account takes as long as one for an unknown
/// account. Measured alone, so that other tests' load does not fall on one side of the comparison.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class AccountTimingTests(ITestOutputHelper output)
{
    /// <summary>
    /// Interleaved logins at the production bcrypt cost class (10): a wrong password for an existing account and
    /// any password for an unknown email take the same time (one bcrypt each), so timing tells nothing.
    /// </summary>
    [Fact]
    public async Task Login_Timing_WrongPasswordAndUnknownEmail_AreIndistinguishable()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Auth:Passwords:BcryptCost"] = "10",
            // Many failures for one account: keep per-account throttling out of the measurement.
            ["Auth:Throttling:FreeFailures"] = "1000",
        });
        var http = factory.ClientFor();
        var known = TestApi.UniqueEmail("known");
        await http.RegisteredAsync(known);

        var (knownMs, unknownMs) = await MeasureAsync(20,
            () => http.LoginAsync(known, "not-the-password-1"),
            () => http.LoginAsync(TestApi.UniqueEmail("unknown"), "not-the-password-1"));

        Report("login (bcrypt cost 10), wrong password vs unknown email", knownMs, unknownMs);
        Assert.True(Math.Abs(Median(knownMs) - Median(unknownMs)) < 0.3 * Math.Max(Median(knownMs), Median(unknownMs)),
            $"medians {Median(knownMs):F1} ms vs {Median(unknownMs):F1} ms");
    }

    [Fact]
    public async Task SendResetEmail_Timing_ExistingAndUnknownAccount_AreIndistinguishable()
    {
        await using var factory = new AuthApiFactory();
        var http = factory.ClientFor();
        var known = TestApi.UniqueEmail("known");
        await http.RegisteredAsync(known);

        var (knownMs, unknownMs) = await MeasureAsync(30,
            () => http.SendResetEmailAsync(known),
            () => http.SendResetEmailAsync(TestApi.UniqueEmail("unknown")));

        Report("send-reset-email, existing vs unknown account", knownMs, unknownMs);
        Assert.True(Math.Abs(Median(knownMs) - Median(unknownMs)) < Math.Max(3.0, 0.5 * Math.Max(Median(knownMs), Median(unknownMs))),
            $"medians {Median(knownMs):F2} ms vs {Median(unknownMs):F2} ms");
    }

    private static async Task<(List<double> Known, List<double> Unknown)> MeasureAsync(
        int rounds, Func<Task<HttpResponseMessage>> known, Func<Task<HttpResponseMessage>> unknown)
    {
        // One of each first, unmeasured: activations and JIT.
        (await known()).Dispose();
        (await unknown()).Dispose();
        var knownMs = new List<double>();
        var unknownMs = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            // Alternating which goes first spreads any drift of the machine's load over both.
            foreach (var (send, into) in i % 2 == 0 ? new[] { (known, knownMs), (unknown, unknownMs) } : new[] { (unknown, unknownMs), (known, knownMs) })
            {
                var watch = Stopwatch.StartNew();
                (await send()).Dispose();
                into.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        return (knownMs, unknownMs);
    }

    private void Report(string what, List<double> known, List<double> unknown) =>
        output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{what}: median {Median(known):F2} vs {Median(unknown):F2} ms, p90 {Percentile(known, 0.9):F2} vs {Percentile(unknown, 0.9):F2} ms ({known.Count} each)"));

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double share)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(share * sorted.Count))];
    }

}
