using System.Data.Common;
using AuthCluster.Grains.Interfaces;
using Orleans.Runtime;
using Orleans.Storage;

namespace AuthCluster.Api.Http;

/// <summary>
/// Turns every failure into the contract's error body: request errors into their codes, an unreachable
/// cluster or database into <c>503 unavailable</c>, and anything else into a bare 500 — never a stack trace.
/// </summary>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > RequestLimits.MaxBodyBytes)
        {
            await ApiErrors.PayloadTooLarge().ExecuteAsync(context);
            return;
        }

        try
        {
            await next(context);
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            var error = Map(exception, context);
            if (error is null)
            {
                return;
            }

            context.Response.Clear();
            await error.ExecuteAsync(context);
        }
    }

    private ApiError? Map(Exception exception, HttpContext context)
    {
        switch (exception)
        {
            case ApiException api:
                return api.Error;
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                return ApiErrors.PayloadTooLarge();
            case BadHttpRequestException:
                return ApiErrors.Validation("body", "The request could not be read.");
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                return null;
            case var _ when IsUnavailable(exception):
                LogUnavailable(logger, exception.GetType().Name, context.Request.Path);
                return ApiErrors.Unavailable();
            default:
                LogUnexpected(logger, exception, context.Request.Path);
                return ApiErrors.Internal();
        }
    }

    /// <summary>Failures of the cluster or its storage, not of the request: the caller may retry later.</summary>
    private static bool IsUnavailable(Exception exception) => FailurePolicy.Classify(exception) != FailureKind.Bug;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster or storage unavailable ({ExceptionType}) serving {Path}")]
    private static partial void LogUnavailable(ILogger logger, string exceptionType, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error serving {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, PathString path);
}
