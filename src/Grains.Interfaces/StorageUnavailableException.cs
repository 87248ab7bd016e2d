namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Grain storage (the database) could not serve the call. Replaces the database driver's own exception at the silo
/// boundary: that type cannot cross to an API node (no codec for it there), and its message may carry details of
/// the database that callers need not see. <see cref="FailurePolicy"/> classes it <see cref="FailureKind.Unavailable"/>,
/// not transient: the database is unlikely to be back within a request's retry window.
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
