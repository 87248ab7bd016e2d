using System.Data.Common;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Logging;

namespace AuthCluster.Silo.Hosting;

/// <summary>
/// Turns a database failure inside a grain call into <see cref="StorageUnavailableException"/>, which callers on
/// other nodes can deserialize and the API answers with <c>503</c>; the driver's exception stays in this silo's log.
/// ETag conflicts (<c>InconsistentStateException</c>) pass unchanged: they mean something else to the caller.
/// </summary>
internal sealed partial class StorageFailureFilter(ILogger<StorageFailureFilter> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception exception) when (FindDbException(exception) is { } database)
        {
            LogStorageFailure(logger, database, context.InterfaceName, context.MethodName);
            throw new StorageUnavailableException();
        }
    }

    private static DbException? FindDbException(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is DbException database)
            {
                return database;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain storage failed during {Interface}.{Method}; answering StorageUnavailable")]
    private static partial void LogStorageFailure(ILogger logger, Exception exception, string @interface, string method);
}
