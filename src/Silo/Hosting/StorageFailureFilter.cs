using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Logging;

namespace AuthCluster.Silo.Hosting;

/// <summary>
/// Turns a database failure inside a grain call (<see cref="FailurePolicy.IsDatabaseFailure"/>) into
/// <see cref="StorageUnavailableException"/>, which callers on other nodes can deserialize and the API answers with
/// <c>503</c>; the driver's exception stays in this silo's log. ETag conflicts (<c>InconsistentStateException</c>)
/// pass unchanged: the policy calls them transient, and the API repeats a retry-safe call after one.
/// </summary>
internal sealed partial class StorageFailureFilter(ILogger<StorageFailureFilter> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception exception) when (FailurePolicy.IsDatabaseFailure(exception))
        {
            LogStorageFailure(logger, exception, context.InterfaceName, context.MethodName);
            throw new StorageUnavailableException();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain storage failed during {Interface}.{Method}; answering StorageUnavailable")]
    private static partial void LogStorageFailure(ILogger logger, Exception exception, string @interface, string method);
}
