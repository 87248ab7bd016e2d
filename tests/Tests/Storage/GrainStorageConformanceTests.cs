using System.Data.Common;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace AuthCluster.Tests.Storage;

/// <summary>State shape used by the storage tests; plain properties so System.Text.Json round-trips it.</summary>
public sealed class CounterState
{
    public int Value { get; set; }

    public string Note { get; set; } = "";
}

/// <summary>
/// Our SQL scripts driven through the unmodified Orleans ADO.NET grain-storage provider
/// (ORLEANS-ADONET.md §7 D). Each derived class runs the same facts against one database engine.
/// </summary>
public abstract class GrainStorageConformanceTests : IAsyncLifetime
{
    protected const string Store = "store";
    protected const string DeletingStore = "store-delete";
    protected const string StateName = "counter";

    private readonly string _serviceId = $"svc-{Guid.NewGuid():N}";
    private readonly List<TestSilo> _silos = [];
    private TestSilo? _silo;

    protected abstract string Invariant { get; }

    /// <summary>Null when the engine is not available; the tests then skip.</summary>
    protected abstract string? ConnectionString { get; }

    protected abstract string SkipReason { get; }

    protected abstract DbConnection CreateConnection(string connectionString);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Registers the storage under test as <paramref name="name"/>: by default Orleans' ADO.NET provider itself.</summary>
    protected virtual void AddStorage(ISiloBuilder silo, string name, string connectionString, bool deleteStateOnClear) =>
        silo.AddAdoNetGrainStorage(name, o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
            o.DeleteStateOnClear = deleteStateOnClear;
        });

    public virtual async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task ReadStateAsync_NeverWritten_ReturnsDefaultStateWithoutETag()
    {
        // Arrange
        var storage = await StorageAsync();
        var state = new GrainState<CounterState>();

        // Act
        await storage.ReadStateAsync(StateName, GuidGrain(), state);

        // Assert
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State?.Value ?? 0);
    }

    [SkippableFact]
    public async Task WriteStateAsync_FirstThenSecondWrite_ReturnsNewETagEachTime()
    {
        // Arrange
        var storage = await StorageAsync();
        var grain = GuidGrain();
        var state = new GrainState<CounterState>(new CounterState { Value = 1 });

        // Act
        await storage.WriteStateAsync(StateName, grain, state);
        var firstETag = state.ETag;
        state.State!.Value = 2;
        await storage.WriteStateAsync(StateName, grain, state);
        var reread = await ReadAsync(storage, grain);

        // Assert
        Assert.False(string.IsNullOrEmpty(firstETag));
        Assert.NotEqual(firstETag, state.ETag);
        Assert.True(state.RecordExists);
        Assert.Equal(2, reread.State!.Value);
        Assert.Equal(state.ETag, reread.ETag);
        Assert.True(reread.RecordExists);
    }

    [SkippableFact]
    public async Task WriteStateAsync_StaleETag_ThrowsInconsistentStateException()
    {
        // Arrange
        var storage = await StorageAsync();
        var grain = GuidGrain();
        var current = new GrainState<CounterState>(new CounterState { Value = 1 });
        await storage.WriteStateAsync(StateName, grain, current);
        var stale = await ReadAsync(storage, grain);
        current.State!.Value = 2;
        await storage.WriteStateAsync(StateName, grain, current);
        stale.State!.Value = 99;

        // Act
        var write = () => storage.WriteStateAsync(StateName, grain, stale);

        // Assert
        await Assert.ThrowsAsync<InconsistentStateException>(write);
        Assert.Equal(2, (await ReadAsync(storage, grain)).State!.Value);
    }

    [SkippableFact]
    public async Task ClearStateAsync_StaleETag_ThrowsInconsistentStateException()
    {
        // Arrange
        var storage = await StorageAsync();
        var grain = GuidGrain();
        var current = new GrainState<CounterState>(new CounterState { Value = 1 });
        await storage.WriteStateAsync(StateName, grain, current);
        var stale = await ReadAsync(storage, grain);
        await storage.WriteStateAsync(StateName, grain, current);

        // Act
        var clear = () => storage.ClearStateAsync(StateName, grain, stale);

        // Assert
        await Assert.ThrowsAsync<InconsistentStateException>(clear);
        Assert.True((await ReadAsync(storage, grain)).RecordExists);
    }

    [SkippableFact]
    public async Task WriteStateAsync_ConcurrentFirstWrites_ExactlyOneSucceeds()
    {
        // Arrange
        var storage = await StorageAsync();
        var grain = GuidGrain();
        var writers = Enumerable.Range(1, 8)
            .Select(i => new GrainState<CounterState>(new CounterState { Value = i }))
            .ToList();

        // Act
        var outcomes = await Task.WhenAll(writers.Select(async state =>
        {
            try
            {
                await storage.WriteStateAsync(StateName, grain, state);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        // Assert
        Assert.Single(outcomes, succeeded => succeeded);
        var winner = writers[Array.IndexOf(outcomes, true)];
        Assert.Equal(winner.State!.Value, (await ReadAsync(storage, grain)).State!.Value);
        Assert.Equal(1L, await CountRowsAsync());
    }

    [SkippableFact]
    public async Task ClearStateAsync_DefaultMode_KeepsTombstoneAndAllowsNextWrite()
    {
        // Arrange
        var storage = await StorageAsync();
        var grain = GuidGrain();
        var state = new GrainState<CounterState>(new CounterState { Value = 5 });
        await storage.WriteStateAsync(StateName, grain, state);

        // Act
        await storage.ClearStateAsync(StateName, grain, state);
        var afterClear = await ReadAsync(storage, grain);
        var (etagAfterClear, existsAfterClear) = (afterClear.ETag, afterClear.RecordExists);
        afterClear.State!.Value = 6;
        await storage.WriteStateAsync(StateName, grain, afterClear);
        var afterWrite = await ReadAsync(storage, grain);

        // Assert
        Assert.False(state.RecordExists);
        Assert.False(string.IsNullOrEmpty(state.ETag));
        Assert.Equal(state.ETag, etagAfterClear);
        Assert.False(existsAfterClear);
        Assert.Equal(6, afterWrite.State!.Value);
        Assert.True(afterWrite.RecordExists);
        Assert.Equal(1L, await CountRowsAsync());
    }

    [SkippableFact]
    public async Task ClearStateAsync_DeleteStateOnClear_RemovesRowAndNextWriteInserts()
    {
        // Arrange
        var storage = await StorageAsync(DeletingStore);
        var grain = GuidGrain();
        var state = new GrainState<CounterState>(new CounterState { Value = 5 });
        await storage.WriteStateAsync(StateName, grain, state);
        await storage.WriteStateAsync(StateName, grain, state);

        // Act
        await storage.ClearStateAsync(StateName, grain, state);
        var rowsAfterClear = await CountRowsAsync();
        var afterClear = await ReadAsync(storage, grain);
        var (etagAfterClear, existsAfterClear) = (afterClear.ETag, afterClear.RecordExists);
        afterClear.State!.Value = 7;
        await storage.WriteStateAsync(StateName, grain, afterClear);

        // Assert
        Assert.Equal(0L, rowsAfterClear);
        Assert.Null(state.ETag);
        Assert.Null(etagAfterClear);
        Assert.False(existsAfterClear);
        Assert.Equal(7, (await ReadAsync(storage, grain)).State!.Value);
        Assert.Equal(1L, await CountRowsAsync());
    }

    [SkippableFact]
    public async Task WriteStateAsync_DifferentKeyKinds_StoresIndependentRows()
    {
        // Arrange
        var storage = await StorageAsync();
        var guid = Guid.NewGuid();
        var grains = new (string StateName, GrainId Grain)[]
        {
            (StateName, GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateGuidKey(guid))),
            (StateName, GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateGuidKey(guid, "ext"))),
            ("other", GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateGuidKey(guid))),
            (StateName, GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateIntegerKey(42))),
            (StateName, GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateIntegerKey(42, "ext"))),
            (StateName, GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateIntegerKey(-42))),
            (StateName, GrainId.Create("test", "42")),
            (StateName, GrainId.Create("test", new string('k', 600))),
        };

        // Act
        for (var i = 0; i < grains.Length; i++)
        {
            var state = new GrainState<CounterState>(new CounterState { Value = i + 1 });
            await storage.WriteStateAsync(grains[i].StateName, grains[i].Grain, state);
        }

        // Assert
        for (var i = 0; i < grains.Length; i++)
        {
            var read = await ReadAsync(storage, grains[i].Grain, grains[i].StateName);
            Assert.Equal(i + 1, read.State!.Value);
        }

        Assert.Equal(grains.Length, await CountRowsAsync());
    }

    [SkippableFact]
    public async Task ReadStateAsync_NewSiloSameServiceId_ReturnsPersistedState()
    {
        // Arrange
        var grain = GuidGrain();
        var firstSilo = await StartSiloAsync(_serviceId);
        var written = new GrainState<CounterState>(new CounterState { Value = 41, Note = "kept" });
        await Storage(firstSilo, Store).WriteStateAsync(StateName, grain, written);
        await firstSilo.DisposeAsync();
        _silos.Remove(firstSilo);

        // Act
        var sameService = await ReadAsync(Storage(await StartSiloAsync(_serviceId), Store), grain);
        var otherService = await ReadAsync(Storage(await StartSiloAsync($"svc-{Guid.NewGuid():N}"), Store), grain);

        // Assert
        Assert.Equal(41, sameService.State!.Value);
        Assert.Equal("kept", sameService.State!.Note);
        Assert.Equal(written.ETag, sameService.ETag);
        Assert.False(otherService.RecordExists);
        Assert.Null(otherService.ETag);
    }

    [SkippableFact]
    public async Task WriteStateAsync_SystemTextJsonSerializer_StoresPlainJson()
    {
        // Arrange
        var storage = await StorageAsync();
        var state = new GrainState<CounterState>(new CounterState { Value = 3, Note = "hello" });

        // Act
        await storage.WriteStateAsync(StateName, GuidGrain(), state);
        var payload = await ReadSinglePayloadAsync();

        // Assert
        var json = Encoding.UTF8.GetString(payload);
        Assert.DoesNotContain("$type", json, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(3, document.RootElement.GetProperty("Value").GetInt32());
        Assert.Equal("hello", document.RootElement.GetProperty("Note").GetString());
    }

    [SkippableFact]
    public async Task WriteStateAsync_LargePayload_RoundTrips()
    {
        // Arrange
        var storage = await StorageAsync();
        var grain = GuidGrain();
        var note = new string('x', 2 * 1024 * 1024);
        var state = new GrainState<CounterState>(new CounterState { Value = 1, Note = note });

        // Act
        await storage.WriteStateAsync(StateName, grain, state);
        var read = await ReadAsync(storage, grain);

        // Assert
        Assert.Equal(note, read.State!.Note);
    }

    private static readonly GrainType TestGrainType = GrainType.Create("test");

    protected static GrainId GuidGrain() => GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid()));

    protected static async Task<GrainState<CounterState>> ReadAsync(IGrainStorage storage, GrainId grain, string stateName = StateName)
    {
        var state = new GrainState<CounterState>();
        await storage.ReadStateAsync(stateName, grain, state);
        return state;
    }

    private static IGrainStorage Storage(TestSilo silo, string name) => silo.Services.GetRequiredKeyedService<IGrainStorage>(name);

    protected async Task<IGrainStorage> StorageAsync(string name = Store)
    {
        _silo ??= await StartSiloAsync(_serviceId);
        return Storage(_silo, name);
    }

    private async Task<TestSilo> StartSiloAsync(string serviceId)
    {
        Skip.If(ConnectionString is null, SkipReason);
        var connectionString = ConnectionString!;
        var silo = await TestSilo.StartAsync(silo =>
        {
            silo.UseLocalhostClustering(TestSilo.FreePort(), TestSilo.FreePort(), serviceId: serviceId, clusterId: $"c-{Guid.NewGuid():N}");
            // Plain JSON without embedded .NET type names, as the service stores its grain state.
            silo.UseSystemTextJsonGrainStorageSerializer();
            AddStorage(silo, Store, connectionString, deleteStateOnClear: false);
            AddStorage(silo, DeletingStore, connectionString, deleteStateOnClear: true);
        });
        _silos.Add(silo);
        return silo;
    }

    protected async Task<long> CountRowsAsync()
    {
        await using var connection = CreateConnection(ConnectionString!);
        await connection.OpenAsync();
        await using var command = CreateCommand(connection, "SELECT COUNT(*) FROM orleans_grain_state WHERE service_id = @serviceId");
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<byte[]> ReadSinglePayloadAsync()
    {
        await using var connection = CreateConnection(ConnectionString!);
        await connection.OpenAsync();
        await using var command = CreateCommand(connection, "SELECT payload FROM orleans_grain_state WHERE service_id = @serviceId");
        return Assert.IsType<byte[]>(await command.ExecuteScalarAsync());
    }

    private DbCommand CreateCommand(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "serviceId";
        parameter.Value = _serviceId;
        command.Parameters.Add(parameter);
        return command;
    }
}
