using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AuthCluster.Grains;
using AuthCluster.Grains.Customers;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Grains.PasswordResets;
using AuthCluster.Grains.Sessions;
using AuthCluster.Silo.Hosting;
using AuthCluster.Silo.Storage;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;

namespace AuthCluster.Tests.Storage;

/// <summary>
/// The expiry sweep against state exactly as a real silo stores it, on both databases: the JSON members the sweep
/// reads are in the stored payloads, and the sweep deletes what has ended and keeps the rest. A state property
/// read under a name the serializer does not write (a hand-written name, a renamed property, a
/// <c>[JsonPropertyName]</c>) or in a form the SQL cannot compare fails here.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class ExpiredStateStoreTests(PostgreSqlFixture postgres)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [SkippableTheory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task Sweep_RealSiloState_DeletesEndedRowsOfEveryKindAndKeepsLiveOnes(string provider)
    {
        var connectionString = await CreateDatabaseAsync(provider);
        await using var silo = await StartSiloAsync(provider, connectionString);
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Auth);
        var fields = ExpiryFields.From(silo.Services.GetRequiredService<IOptions<SystemTextJsonGrainStorageSerializerOptions>>().Value.JsonSerializerOptions);
        var lifetime = silo.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Tokens.RefreshTokenLifetime;

        var ended = new[]
        {
            await WriteAsync(storage, SessionState.StateName, new SessionState { ExpiresAt = Now.AddMinutes(-1) }),
            await WriteAsync(storage, SessionState.StateName, new SessionState { ExpiresAt = Now.AddHours(1), RevokedAt = Now.AddDays(-2) }),
            await WriteAsync(storage, GuestState.StateName, new GuestState { CreatedAt = Now - lifetime - TimeSpan.FromMinutes(1) }),
            await WriteAsync(storage, EmailIndexState.StateName, new EmailIndexState { FailedLogins = 1, LastFailureAt = Now.AddDays(-2) }),
            await WriteAsync(storage, PasswordResetState.StateName, new PasswordResetState { ExpiresAt = Now.AddDays(-2) }),
        };
        var live = new[]
        {
            await WriteAsync(storage, SessionState.StateName, new SessionState { ExpiresAt = Now.AddHours(1), RevokedAt = Now.AddMinutes(-1) }),
            await WriteAsync(storage, GuestState.StateName, new GuestState { CreatedAt = Now }),
            await WriteAsync(storage, EmailIndexState.StateName, new EmailIndexState { CustomerId = Guid.NewGuid(), LastFailureAt = Now.AddDays(-2) }),
            await WriteAsync(storage, PasswordResetState.StateName, new PasswordResetState { ExpiresAt = Now.AddMinutes(-1) }),
        };
        var payloads = await ReadPayloadsAsync(provider, connectionString);

        var deleted = await silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IJanitorGrain>(0).Sweep();

        // Every member the sweep compares is in the stored JSON, as a timestamp (or, for the account, an id).
        AssertTimestamp(payloads[ended[0]], fields.Session.ExpiresAt, Now.AddMinutes(-1));
        AssertTimestamp(payloads[ended[1]], fields.Session.RevokedAt, Now.AddDays(-2));
        AssertTimestamp(payloads[ended[2]], fields.Guest.CreatedAt, Now - lifetime - TimeSpan.FromMinutes(1));
        AssertTimestamp(payloads[ended[3]], fields.EmailIndex.LastFailureAt, Now.AddDays(-2));
        AssertTimestamp(payloads[ended[4]], fields.PasswordReset.ExpiresAt, Now.AddDays(-2));
        Assert.True(payloads[live[2]].GetProperty(fields.EmailIndex.CustomerId).TryGetGuid(out _));
        Assert.Equal(ended.Length, deleted);
        foreach (var row in ended)
        {
            Assert.False(await ExistsAsync(storage, row), $"{row} should have been swept");
        }

        foreach (var row in live)
        {
            Assert.True(await ExistsAsync(storage, row), $"{row} should have been kept");
        }
    }

    private async Task<string> CreateDatabaseAsync(string provider)
    {
        if (provider == "Sqlite")
        {
            return $"Data Source={Path.Combine(Path.GetTempPath(), "authcluster-tests", Guid.NewGuid().ToString("N"), "auth.db")}";
        }

        var connectionString = await postgres.CreateEmptyDatabaseAsync();
        await DatabaseSchema.ApplyPostgreSqlAsync(connectionString);
        return connectionString;
    }

    /// <summary>A silo wired exactly as production wires it (<see cref="AuthSiloExtensions.UseAuthSilo"/>).</summary>
    private static Task<TestSilo> StartSiloAsync(string provider, string connectionString) => TestSilo.StartAsync(builder =>
    {
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = provider,
            ["Storage:ConnectionString"] = connectionString,
            ["Cluster:SiloPort"] = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cluster:ClusterId"] = "sweep-" + Guid.NewGuid().ToString("N")[..8],
            ["Auth:Signing:KeyEncryptionKey"] = AuthApiFactory.TestKek,
            ["Email:Provider"] = "Pickup",
            ["Email:From"] = "AuthCluster Tests <no-reply@authcluster.test>",
            ["Email:PickupDirectory"] = Path.Combine(Path.GetTempPath(), "authcluster-mail-" + Guid.NewGuid().ToString("N")),
        });
        builder.UseAuthSilo();
    });

    private static async Task<GrainId> WriteAsync<TState>(IGrainStorage storage, string stateName, TState state)
    {
        // A string key (not a Guid), so that the row's grain_id_ext names it.
        var id = GrainId.Create(stateName, $"sweep-{Guid.NewGuid():N}");
        await storage.WriteStateAsync(stateName, id, new GrainState<TState>(state));
        return id;
    }

    private static async Task<bool> ExistsAsync(IGrainStorage storage, GrainId id)
    {
        var state = new GrainState<JsonElement>();
        await storage.ReadStateAsync(id.Type.ToString()!, id, state);
        return state.RecordExists;
    }

    /// <summary>The stored JSON of every row, by grain id: what the sweep's SQL reads.</summary>
    private static async Task<Dictionary<GrainId, JsonElement>> ReadPayloadsAsync(string provider, string connectionString)
    {
        await using DbConnection connection = provider == "Sqlite" ? new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_type, grain_id_ext, payload FROM orleans_grain_state WHERE payload IS NOT NULL";
        var payloads = new Dictionary<GrainId, JsonElement>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var json = Encoding.UTF8.GetString((byte[])reader.GetValue(2));
            payloads[GrainId.Create(reader.GetString(0), reader.GetString(1))] = JsonDocument.Parse(json).RootElement.Clone();
        }

        return payloads;
    }

    private static void AssertTimestamp(JsonElement payload, string member, DateTimeOffset expected)
    {
        Assert.True(payload.TryGetProperty(member, out var value), $"'{member}' is not in the stored state: {payload}");
        Assert.Equal(expected, value.GetDateTimeOffset());
    }
}
