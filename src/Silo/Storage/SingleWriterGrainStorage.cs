using Orleans.Storage;

namespace AuthCluster.Silo.Storage;

/// <summary>
/// Lets one write at a time reach a SQLite file. SQLite admits a single writer; concurrent writers from the
/// connection pool otherwise collide, and Microsoft.Data.Sqlite answers SQLITE_BUSY by sleeping and retrying
/// on the calling thread — second-long stalls that block Orleans' scheduler threads. Queuing here instead
/// is an async wait, and each write then finds the file free. Reads go straight through (WAL readers never
/// wait for the writer).
/// </summary>
internal sealed class SingleWriterGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private readonly SemaphoreSlim _writer = new(1, 1);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        OneAtATimeAsync(() => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        OneAtATimeAsync(() => inner.ClearStateAsync(stateName, grainId, grainState));

    private async Task OneAtATimeAsync(Func<Task> write)
    {
        await _writer.WaitAsync();
        try
        {
            await write();
        }
        finally
        {
            _writer.Release();
        }
    }
}
