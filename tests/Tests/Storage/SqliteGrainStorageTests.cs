using System.Data.Common;
using AuthCluster.Silo.Storage;
using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace AuthCluster.Tests.Storage;

/// <summary>Our SQLite script under Orleans' own ADO.NET provider.</summary>
public class SqliteGrainStorageTests : GrainStorageConformanceTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"authcluster-sqlite-{Guid.NewGuid():N}");

    protected override string Invariant => "System.Data.SQLite";

    protected override string? ConnectionString => $"Data Source={Path.Combine(_directory, "orleans.db")}";

    protected override string SkipReason => "never skipped";

    protected override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);

    public override Task InitializeAsync() => DatabaseSchema.ApplySqliteAsync(ConnectionString!);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        // Pooled connections keep the file open.
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>
/// The same facts with the node's SQLite storage (<see cref="GroupCommitGrainStorage"/> writing, the provider reading),
/// plus what batching must not change: one write's conflict or a burst of writes.
/// </summary>
public sealed class SqliteGroupCommitStorageTests : SqliteGrainStorageTests
{
    protected override void AddStorage(ISiloBuilder silo, string name, string connectionString, bool deleteStateOnClear) =>
        silo.AddSqliteGrainStorage(name, connectionString, o => o.DeleteStateOnClear = deleteStateOnClear);

    [Fact]
    public async Task WriteStateAsync_BurstOfWrites_AllDurableWithTheirOwnVersions()
    {
        // Arrange
        var storage = await StorageAsync();
        var grains = Enumerable.Range(0, 300).Select(_ => GuidGrain()).ToList();
        var states = grains.Select((_, i) => new GrainState<CounterState>(new CounterState { Value = i })).ToList();

        // Act: all at once, then each a second time, so that batches mix first writes and updates.
        await Task.WhenAll(grains.Select((grain, i) => storage.WriteStateAsync(StateName, grain, states[i])));
        await Task.WhenAll(grains.Select((grain, i) =>
        {
            states[i].State!.Value += 1000;
            return storage.WriteStateAsync(StateName, grain, states[i]);
        }));

        // Assert
        Assert.All(states, s => Assert.Equal("2", s.ETag));
        for (var i = 0; i < grains.Count; i++)
        {
            var read = await ReadAsync(storage, grains[i]);
            Assert.Equal(i + 1000, read.State!.Value);
            Assert.Equal("2", read.ETag);
        }

        Assert.Equal(grains.Count, await CountRowsAsync());
    }

    [Fact]
    public async Task WriteStateAsync_StaleWriteAmongOthers_OnlyItFails()
    {
        // Arrange
        var storage = await StorageAsync();
        var contested = GuidGrain();
        var current = new GrainState<CounterState>(new CounterState { Value = 1 });
        await storage.WriteStateAsync(StateName, contested, current);
        var stale = await ReadAsync(storage, contested);
        await storage.WriteStateAsync(StateName, contested, current);
        var others = Enumerable.Range(0, 50).Select(_ => GuidGrain()).ToList();

        // Act
        var writes = others.Select(grain => storage.WriteStateAsync(StateName, grain, new GrainState<CounterState>(new CounterState { Value = 7 })))
            .Prepend(storage.WriteStateAsync(StateName, contested, stale))
            .ToList();
        var outcomes = await Task.WhenAll(writes.Select(async write =>
        {
            try
            {
                await write;
                return null;
            }
            catch (Exception exception)
            {
                return exception;
            }
        }));

        // Assert
        Assert.IsType<InconsistentStateException>(outcomes[0]);
        Assert.All(outcomes.Skip(1), Assert.Null);
        Assert.Equal(1, (await ReadAsync(storage, contested)).State!.Value);
        foreach (var grain in others)
        {
            Assert.Equal(7, (await ReadAsync(storage, grain)).State!.Value);
        }
    }
}
