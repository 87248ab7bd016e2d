using System.Net;
using AuthCluster.Grains.Sessions;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Http;

/// <summary><c>Cluster:IdleDeactivation</c>: idle grains leave memory, and their state comes back from storage.</summary>
public sealed class IdleDeactivationTests
{
    [Fact]
    public async Task IdleSession_LeavesMemoryAfterIdleDeactivation_AndStillRefreshes()
    {
        // Arrange
        await using var factory = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Cluster:IdleDeactivation"] = "00:00:02",
            ["Storage:Provider"] = "Sqlite",
        });
        var http = factory.ClientFor();
        var tokens = await (await http.GuestAsync(TestApi.UniqueEmail("idle"))).TokensAsync();
        var activeBefore = await SessionActivationsAsync(factory);

        // Act: wait for the collector, which looks every half idle time, for a few rounds at most.
        var activeAfter = activeBefore;
        for (var waited = 0; waited < 40 && activeAfter > 0; waited++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
            activeAfter = await SessionActivationsAsync(factory);
        }

        using var refresh = await http.RefreshAsync(tokens.RefreshToken);

        // Assert
        Assert.Equal(1, activeBefore);
        Assert.Equal(0, activeAfter);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }

    private static async Task<int> SessionActivationsAsync(AuthApiFactory factory)
    {
        var statistics = await factory.Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics.Where(s => s.GrainType.Contains(nameof(SessionGrain), StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }
}
