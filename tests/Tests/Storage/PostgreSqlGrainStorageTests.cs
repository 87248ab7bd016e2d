using System.Data.Common;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Silo.Storage;
using Npgsql;
using Orleans.Storage;

namespace AuthCluster.Tests.Storage;

[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public class PostgreSqlGrainStorageTests(PostgreSqlFixture database) : GrainStorageConformanceTests
{
    protected override string Invariant => "Npgsql";

    protected override string? ConnectionString => database.ConnectionString;

    protected override string SkipReason => PostgreSqlFixture.SkipReason;

    protected override DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(connectionString);
}

/// <summary>
/// The same facts with the connection string the silos give the provider (<see cref="PostgreSqlConnections.ForOrleans"/>):
/// statements prepared on the server after their first few runs must behave exactly like unprepared ones.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public sealed class PostgreSqlAutoPrepareStorageTests(PostgreSqlFixture database) : PostgreSqlGrainStorageTests(database)
{
    protected override void AddStorage(ISiloBuilder silo, string name, string connectionString, bool deleteStateOnClear) =>
        base.AddStorage(silo, name, PostgreSqlConnections.ForOrleans(connectionString), deleteStateOnClear);

    [SkippableFact]
    public async Task Writes_ManyTimesOnOneConnection_KeepVersionRulesOncePrepared()
    {
        // Arrange: more runs of each text than Npgsql needs before it prepares it.
        var storage = await StorageAsync();
        var grain = GuidGrain();
        var state = new GrainState<CounterState>(new CounterState());

        // Act
        for (var i = 1; i <= 20; i++)
        {
            state.State!.Value = i;
            await storage.WriteStateAsync(StateName, grain, state);
            Assert.Equal(i, (await ReadAsync(storage, grain)).State!.Value);
        }

        var stale = new GrainState<CounterState>(new CounterState { Value = 99 }) { ETag = "3" };
        var fresh = new GrainState<CounterState>(new CounterState { Value = 99 });

        // Assert
        Assert.Equal("20", state.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, fresh));
        Assert.Equal(20, (await ReadAsync(storage, grain)).State!.Value);
    }

    [Fact]
    public void ForOrleans_AddsAutoPreparation_UnlessTheOperatorChose()
    {
        var added = new NpgsqlConnectionStringBuilder(PostgreSqlConnections.ForOrleans("Host=db;Username=a;Password=secret;Database=auth"));
        var chosen = PostgreSqlConnections.ForOrleans("Host=db;Database=auth;Max Auto Prepare=0");

        Assert.True(added.MaxAutoPrepare > 0);
        Assert.Equal("secret", added.Password);
        Assert.Equal("Host=db;Database=auth;Max Auto Prepare=0", chosen);
    }
}
