using System.Data.Common;
using System.Net;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Silo.Storage;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AuthCluster.Tests.Http;

/// <summary>The janitor's sweep against both real databases: ended state goes, live state stays.</summary>
[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public sealed class ExpirySweepTests(PostgreSqlFixture postgres)
{
    [SkippableTheory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Sweep_AfterLifetimes_DeletesEndedStateAndKeepsLiveState(string provider)
    {
        var connectionString = provider == "Sqlite"
            ? $"Data Source={Path.Combine(Path.GetTempPath(), "authcluster-tests", Guid.NewGuid().ToString("N"), "auth.db")}"
            : await postgres.CreateEmptyDatabaseAsync();
        if (provider == "PostgreSql")
        {
            await DatabaseSchema.ApplyPostgreSqlAsync(connectionString);
        }

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = provider,
            ["Storage:ConnectionString"] = connectionString,
        }, time);
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var kept = await http.RegisteredAsync(email);
        var revoked = await (await http.LoginAsync(email)).TokensAsync();
        (await factory.BearerClient(revoked.AccessToken).PostAsync("/v1/auth/logout", null)).EnsureSuccessStatusCode();
        (await http.GuestAsync(TestApi.UniqueEmail("guest"))).EnsureSuccessStatusCode();
        (await http.LoginAsync(TestApi.UniqueEmail("nobody"))).Dispose();
        var janitor = factory.Grains.GetGrain<IJanitorGrain>(0);
        var before = await CountAsync(provider, connectionString);

        // Jumps, not Advance: advancing fires every periodic timer of the host once per period (Orleans' own, the
        // hourly sweep reminder), which over 60 days takes many seconds. The test sweeps by itself.
        time.AdjustTime(time.GetUtcNow() + TimeSpan.FromDays(2));
        await janitor.Sweep();
        var afterFirst = await CountAsync(provider, connectionString);
        using var stillWorks = await http.RefreshAsync(kept.RefreshToken);

        time.AdjustTime(time.GetUtcNow() + TimeSpan.FromDays(60));
        await janitor.Sweep();
        var afterSecond = await CountAsync(provider, connectionString);
        using var loginAfter = await http.LoginAsync(email);

        Assert.Equal((3, 1, 2), (before["session"], before["guest"], before["emailindex"]));
        // The revoked session and the throttle row of the unknown email are gone.
        Assert.Equal((2, 1, 1), (afterFirst["session"], afterFirst["guest"], afterFirst["emailindex"]));
        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
        // Both remaining sessions expired, and the guest with them; the account and its email stay.
        Assert.Equal((0, 0, 1, 1), (afterSecond["session"], afterSecond["guest"], afterSecond["emailindex"], afterSecond["customer"]));
        Assert.Equal(HttpStatusCode.OK, loginAfter.StatusCode);
    }

    private static async Task<Dictionary<string, long>> CountAsync(string provider, string connectionString)
    {
        await using DbConnection connection = provider == "Sqlite" ? new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_type, count(*) FROM orleans_grain_state WHERE payload IS NOT NULL GROUP BY grain_type";
        var counts = new Dictionary<string, long> { ["session"] = 0, ["guest"] = 0, ["emailindex"] = 0, ["customer"] = 0 };
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }
}
