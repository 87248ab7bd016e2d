using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace AuthCluster.Silo.Storage;

/// <summary>
/// Grain storage for the single node's SQLite file that commits concurrent writes together. SQLite admits one writer
/// at a time, and a durable commit (<c>synchronous = FULL</c>) waits for the disk: written one by one, writes queue
/// behind each other's flushes, and a guest login, which writes its guest and its session, pays two of them. Here one
/// writer takes every write that is waiting, runs them in one transaction and flushes once; each caller is answered
/// after that commit, so nothing is acknowledged before it is durable. A write whose version no longer matches fails
/// alone (<see cref="InconsistentStateException"/>, as with Orleans' provider); a batch that fails as a whole is
/// rolled back and its writes run again one by one, so one bad write cannot fail the others.
/// </summary>
/// <remarks>
/// Rows, versions and payloads are exactly those of Orleans' ADO.NET provider (the same query texts from
/// <c>OrleansQuery</c>, <see cref="GrainStateRowId"/>, the provider's own serializer), so <paramref name="inner"/>, that
/// provider, reads them and clears them. Its clears, and writes of grains keyed other than by a Guid or a string,
/// go through the same writer one at a time. Reads never wait (WAL readers do not block the writer).
/// </remarks>
internal sealed class GroupCommitGrainStorage(IGrainStorage inner, string connectionString, string serviceId, IGrainStorageSerializer serializer)
    : IGrainStorage, IAsyncDisposable
{
    /// <summary>Enough to take everything a busy node has waiting; bounds how long one transaction holds the file.</summary>
    private const int MaxBatch = 256;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _starting = new();
    private Task? _writer;
    private GrainStateStore? _store;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (RowIdOf(stateName, grainId) is not { } row)
        {
            await EnqueueAsync(new Pending(() => inner.WriteStateAsync(stateName, grainId, grainState)));
            return;
        }

        var expected = string.IsNullOrEmpty(grainState.ETag) ? (int?)null : int.Parse(grainState.ETag, CultureInfo.InvariantCulture);
        var write = new Pending(new RowWrite(row, serializer.Serialize(grainState.State).ToArray(), expected));
        var version = await EnqueueAsync(write)
            ?? throw new InconsistentStateException($"Version conflict (WriteState): GrainType={stateName} GrainId={grainId} ETag={grainState.ETag}.");
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        EnqueueAsync(new Pending(() => inner.ClearStateAsync(stateName, grainId, grainState)));

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer;
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    /// <summary>The row Orleans' provider uses for this grain, or null for a key kind it is not computed for here.</summary>
    private static GrainStateRowId? RowIdOf(string stateName, GrainId grainId)
    {
        if (grainId.TryGetGuidKey(out var guid, out var extension))
        {
            return extension is null ? GrainStateRowId.ForGuid(stateName, guid) : null;
        }

        return grainId.TryGetIntegerKey(out _, out _) ? null : GrainStateRowId.ForString(stateName, grainId.Key.ToString());
    }

    private Task<int?> EnqueueAsync(Pending pending)
    {
        if (_writer is null)
        {
            lock (_starting)
            {
                _writer ??= Task.Run(WriteLoopAsync);
            }
        }

        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommitGrainStorage), "The node is shutting down.");
        }

        return pending.Outcome.Task;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                if (pending.Alone is not null)
                {
                    // Whatever came before it commits first, then it runs by itself, in the order the grains asked.
                    await CommitAsync(batch);
                    await RunAloneAsync(pending);
                    continue;
                }

                batch.Add(pending);
            }

            await CommitAsync(batch);
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            var versions = await WriteInOneTransactionAsync(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Outcome.TrySetResult(versions[i]);
            }
        }
        catch (Exception) when (batch.Count > 1)
        {
            foreach (var pending in batch)
            {
                await CommitAsync([pending]);
            }
        }
        catch (Exception exception)
        {
            batch[0].Outcome.TrySetException(exception);
        }
        finally
        {
            batch.Clear();
        }
    }

    private async Task<int?[]> WriteInOneTransactionAsync(List<Pending> batch)
    {
        var store = _store ??= await SqliteGrainStateStore.OpenDurableAsync(connectionString, serviceId, CancellationToken.None);
        try
        {
            await store.BeginAsync(CancellationToken.None);
            var versions = new int?[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                var (row, payload, expected) = batch[i].Row!;
                versions[i] = await store.WriteAsync(row, payload, expected, CancellationToken.None);
            }

            await store.CommitAsync(CancellationToken.None);
            return versions;
        }
        catch
        {
            // A connection in an unknown state is not used again; the next batch opens a new one.
            _store = null;
            await store.DisposeAsync();
            throw;
        }
    }

    private static async Task RunAloneAsync(Pending pending)
    {
        try
        {
            await pending.Alone!();
            pending.Outcome.TrySetResult(null);
        }
        catch (Exception exception)
        {
            pending.Outcome.TrySetException(exception);
        }
    }

    private sealed record RowWrite(GrainStateRowId Row, byte[] Payload, int? ExpectedVersion);

    /// <summary>A write to batch (<see cref="Row"/>) or an operation of the inner provider to run by itself (<see cref="Alone"/>).</summary>
    private sealed class Pending
    {
        public Pending(RowWrite row) => Row = row;

        public Pending(Func<Task> alone) => Alone = alone;

        public RowWrite? Row { get; }

        public Func<Task>? Alone { get; }

        public TaskCompletionSource<int?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

public static class SqliteGrainStorageExtensions
{
    /// <summary>
    /// Grain storage <paramref name="name"/> in a SQLite file with our schema: Orleans' ADO.NET provider reads and clears,
    /// <see cref="GroupCommitGrainStorage"/> writes.
    /// </summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder silo, string name, string connectionString, Action<AdoNetGrainStorageOptions>? configure = null)
    {
        var provider = name + "-adonet";
        silo.AddAdoNetGrainStorage(provider, o =>
        {
            o.Invariant = "System.Data.SQLite";
            o.ConnectionString = connectionString;
            configure?.Invoke(o);
        });
        silo.Services.AddKeyedSingleton<IGrainStorage>(name, (services, _) => new GroupCommitGrainStorage(
            services.GetRequiredKeyedService<IGrainStorage>(provider),
            connectionString,
            services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            services.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(provider).GrainStorageSerializer));
        return silo;
    }
}
