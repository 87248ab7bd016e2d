namespace AuthCluster.Grains;

internal static class PersistentStateExtensions
{
    /// <summary>
    /// Writes the state. When the write fails — an ETag conflict (another activation wrote first, e.g. after a
    /// silo failure) or storage being unreachable — the in-memory state no longer matches storage, so the
    /// activation deactivates and the request fails rather than act on, or issue tokens from, state that was
    /// never persisted. The next call activates afresh from storage.
    /// </summary>
    public static async Task WriteOrDeactivateAsync<T>(this IPersistentState<T> state, IGrainBase grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
