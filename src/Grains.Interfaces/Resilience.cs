namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Marks a grain method that a caller may repeat after a failure whose outcome it cannot know (the silo died or
/// shut down mid-call): the grain makes a second execution harmless. Reads marked <c>[ReadOnly]</c> are safe
/// without this. The API's grain-call retry filter retries only such methods; anything else (registration,
/// login) is answered with <c>503</c> instead, because a blind repeat could act twice.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class RetrySafeAttribute : Attribute
{
    /// <summary>
    /// The repeat is harmless only within the refresh-token reuse grace window (<c>Auth:Tokens:RefreshReuseGrace</c>):
    /// a later one would look like reuse and revoke the session. Retries stop well before the window closes.
    /// </summary>
    public bool WithinRefreshGrace { get; set; }
}

/// <summary>
/// A create call reached a grain whose record already exists. For a caller-chosen fresh id this means an earlier
/// attempt of the same call succeeded but its answer was lost: the caller must not reuse that attempt's result
/// (it never saw it) and may simply start again with a new id.
/// </summary>
[GenerateSerializer, Alias("AuthCluster.AlreadyCreatedException")]
public sealed class AlreadyCreatedException : Exception
{
    public AlreadyCreatedException()
        : base("The grain's record already exists; an earlier attempt of this create call succeeded.")
    {
    }

    public AlreadyCreatedException(string message)
        : base(message)
    {
    }

    public AlreadyCreatedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Grain storage (the database) could not serve the call. Replaces the database driver's own exception at the silo
/// boundary: that type cannot cross to an API node (no codec for it there), and its message may carry details of
/// the database that callers need not see. Not retried by the API: the database is unlikely to be back in time.
/// </summary>
[GenerateSerializer, Alias("AuthCluster.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
        : base("Grain storage is unavailable.")
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
