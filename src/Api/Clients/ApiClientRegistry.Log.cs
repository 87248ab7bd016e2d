namespace AuthCluster.Api.Clients;

// Security events of API client reloads: client ids and setting names, never a secret or its digest.
public sealed partial class ApiClientRegistry
{
    [LoggerMessage(EventId = 1010, EventName = "ApiClientsReloaded", Level = LogLevel.Warning,
        Message = "API clients reloaded from configuration: {Count} clients; added {Added}, removed {Removed}, changed {Changed}")]
    private static partial void LogClientsReloaded(ILogger logger, int count, string added, string removed, string changed);

    [LoggerMessage(EventId = 1011, EventName = "ApiClientsReloadRejected", Level = LogLevel.Error,
        Message = "API clients change refused, the {Count} current clients stay in effect: {Problems}")]
    private static partial void LogClientsRejected(ILogger logger, int count, string problems);
}
