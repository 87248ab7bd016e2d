using AuthCluster.Grains.Interfaces;
using Microsoft.AspNetCore.Diagnostics;

namespace AuthCluster.Api.Http;

/// <summary>
/// The <see cref="IExceptionHandler"/> behind <c>UseExceptionHandler</c>: turns every failure into the contract's
/// error body — request errors into their codes, an unreachable cluster or database into <c>503 unavailable</c>,
/// and anything else into a bare 500, never a stack trace. (A request the client aborted never gets here: the
/// middleware drops it.)
/// </summary>
public sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        await Map(exception, httpContext.Request.Path).ExecuteAsync(httpContext);
        return true;
    }

    private ApiError Map(Exception exception, PathString path)
    {
        switch (exception)
        {
            case ApiException api:
                return api.Error;
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                return ApiErrors.PayloadTooLarge();
            case BadHttpRequestException:
                return ApiErrors.Validation("body", "The request could not be read.");
            case var _ when IsUnavailable(exception):
                LogUnavailable(logger, exception, path);
                return ApiErrors.Unavailable();
            default:
                LogUnexpected(logger, exception, path);
                return ApiErrors.Internal();
        }
    }

    /// <summary>Failures of the cluster or its storage, not of the request: the caller may retry later.</summary>
    private static bool IsUnavailable(Exception exception) => FailurePolicy.Classify(exception) != FailureKind.Bug;

    // The exception goes to the logger whole (type, message, stack trace); request bodies never do.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster or storage unavailable serving {Path}")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error serving {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, PathString path);
}

/// <summary>Refuses a declared body over the limit before anything reads it (a chunked one is caught while reading).</summary>
public static class OversizedBodies
{
    public static Task Reject(HttpContext context, Func<Task> next) =>
        context.Request.ContentLength > RequestLimits.MaxBodyBytes
            ? ApiErrors.PayloadTooLarge().ExecuteAsync(context)
            : next();
}
