namespace AuthCluster.Grains;

/// <summary>Names of the grain storage providers the silo registers.</summary>
public static class StorageNames
{
    /// <summary>All durable grain state: accounts, sessions, keys.</summary>
    public const string Auth = "auth";
}
