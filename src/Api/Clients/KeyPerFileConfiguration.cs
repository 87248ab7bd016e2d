namespace AuthCluster.Api.Clients;

/// <summary>
/// Configuration from a directory with one file per setting, as a mounted Kubernetes Secret provides it: the file name
/// is the key with <c>__</c> for <c>:</c> (<c>Auth__Clients__0__SecretSha256</c>), the content its value. Read with
/// reload on change, so that API clients (and any other setting read live) follow the Secret without a restart.
/// </summary>
public static class KeyPerFileConfiguration
{
    /// <summary>The directory; no directory is read when it is not set.</summary>
    public const string DirectoryKey = "Configuration:KeyPerFileDirectory";

    public static void AddKeyPerFileDirectory(this IConfigurationManager configuration)
    {
        if (configuration[DirectoryKey] is { Length: > 0 } directory)
        {
            // Optional: a Secret volume that is not mounted yet must not stop the node; ValidateOnStart still
            // refuses to start without clients outside Development.
            configuration.AddKeyPerFile(Path.GetFullPath(directory), optional: true, reloadOnChange: true);
        }
    }
}
