using System.Collections.Concurrent;
using System.Net;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Xunit.Abstractions;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// API nodes answer validations from their revocation view, not from the session grain; the contract's promise must
/// hold anyway: once a logout through one API node has answered, a validation that starts afterwards on another
/// node treats the session as revoked — also while a silo, with the feed shards it held, is killed.
/// </summary>
[Collection(MeasuredAlone.Name)]
[ProcessLevel]
public sealed class CrossNodeRevocationTests(ITestOutputHelper output, ClusterServer server)
{
    private const int Rounds = 1000;
    private const int Workers = 8;

    [SkippableFact]
    public async Task LogoutThroughA_ValidateThroughB_NeverActive_AlsoWhileASiloIsKilled()
    {
        await using var cluster = await ProcessCluster.CreateAsync(await server.GetAsync(), "revocation-view");
        await cluster.StartAsync(silos: 2, apis: 2);
        using var load = new MixedLoad(cluster.Apis);

        // Act: 1,000 rounds with both silos, then 1,000 more while one of them is killed at the start.
        var steady = await RoundsAsync(load, Rounds);
        cluster.Kill(cluster.Silos[1]);
        var faulted = await RoundsAsync(load, Rounds);

        // Assert
        output.WriteLine($"steady: {steady}; silo killed: {faulted}");
        Assert.Empty(steady.Violations);
        Assert.Empty(faulted.Violations);
        Assert.True(steady.Checked >= Rounds * 0.99, $"only {steady.Checked} rounds completed without a fault");
        Assert.True(faulted.Checked >= Rounds / 2, $"only {faulted.Checked} rounds completed after the kill");
    }

    private sealed record Outcome(int Checked, int Unavailable, IReadOnlyCollection<string> Violations)
    {
        public override string ToString() => $"{Checked} logouts checked, {Unavailable} rounds cut short by 503/timeouts, {Violations.Count} violations";
    }

    /// <summary>
    /// Each round: a guest session through node A, validated through B (so B has confirmed it and holds it in
    /// memory), logged out through A, and validated through B at once, which must not answer 200.
    /// </summary>
    private static async Task<Outcome> RoundsAsync(MixedLoad load, int rounds)
    {
        var violations = new ConcurrentQueue<string>();
        int done = 0, unavailable = 0, next = -1;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < rounds)
            {
                var (status, body) = await load.SendAsync(0, "guest", MixedLoad.Client(HttpMethod.Post, "/v1/auth/login/guest",
                    new { first_name = "Rev", last_name = "View", email = TestApi.UniqueEmail("rev"), shop_id = ProcessCluster.ShopId }));
                if (status != HttpStatusCode.Created)
                {
                    Interlocked.Increment(ref unavailable);
                    continue;
                }

                var token = body.GetProperty("access_token").GetString()!;
                var before = await load.SendAsync(1, "validate", MixedLoad.Bearer(HttpMethod.Get, "/v1/oauth/token/validate", token));
                var logout = await load.SendAsync(0, "logout", MixedLoad.Bearer(HttpMethod.Post, "/v1/auth/logout", token));
                if (before.Status != HttpStatusCode.OK || logout.Status != HttpStatusCode.NoContent)
                {
                    Interlocked.Increment(ref unavailable);
                    continue;
                }

                var after = await load.SendAsync(1, "validate", MixedLoad.Bearer(HttpMethod.Get, "/v1/oauth/token/validate", token));
                if (after.Status == HttpStatusCode.OK)
                {
                    violations.Enqueue($"session of round {next} answered 200 on node B after its logout through A had answered 204");
                }

                Interlocked.Increment(ref done);
            }
        })));

        return new Outcome(done, unavailable, violations);
    }
}
