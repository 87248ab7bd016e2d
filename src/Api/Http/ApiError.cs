using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace AuthCluster.Api.Http;

/// <summary>
/// An error of the contract: RFC 9457 problem details that also carry the OAuth-style <c>error</c> code,
/// so both kinds of readers understand it. Written through <see cref="IProblemDetailsService"/>, whose
/// customization (<see cref="ProblemContract"/>) gives every problem the contract's members.
/// Never carries secrets or exception messages.
/// </summary>
public sealed class ApiError(int status, string error, string description) : IResult, IStatusCodeHttpResult
{
    private readonly Dictionary<string, string> _headers = [];

    public int Status { get; } = status;
    public string Error { get; } = error;
    public string Description { get; } = description;
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    int? IStatusCodeHttpResult.StatusCode => Status;

    public ApiError WithHeader(string name, string value)
    {
        _headers[name] = value;
        return this;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        foreach (var (name, value) in _headers)
        {
            response.Headers[name] = value;
        }

        response.Headers.CacheControl = "no-store";
        var problem = ProblemContract.Create(Status, Error, Description, Errors);
        if (OAuthErrors.Apply(httpContext))
        {
            await WriteShapedAsync(httpContext, problem, OAuthErrors.MediaType);
            return;
        }

        var problems = httpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await problems.TryWriteAsync(new() { HttpContext = httpContext, ProblemDetails = problem }))
        {
            // The service declines clients whose Accept header names no JSON type; the contract answers them all alike.
            await WriteShapedAsync(httpContext, problem, ProblemContract.MediaType);
        }
    }

    private static Task WriteShapedAsync(HttpContext httpContext, ProblemDetails problem, string mediaType)
    {
        ProblemContract.Shape(problem);
        return httpContext.Response.WriteAsJsonAsync(problem, options: null, mediaType, httpContext.RequestAborted);
    }
}

/// <summary>Thrown where a request cannot go on (binding, authentication); the exception handler writes <see cref="Error"/>.</summary>
public sealed class ApiException(ApiError error) : Exception(error.Description)
{
    public ApiError Error { get; } = error;
}

/// <summary>The errors of the contract, one factory each.</summary>
public static class ApiErrors
{
    public static ApiError Validation(IReadOnlyDictionary<string, string[]> errors) =>
        new(400, "validation_error", "The request is invalid; see errors.") { Errors = errors };

    public static ApiError Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ApiError InvalidClient() =>
        new ApiError(401, "invalid_client", "Client authentication failed.")
            .WithHeader("WWW-Authenticate", "Basic realm=\"AuthCluster\"");

    public static ApiError ShopNotAllowed() =>
        new(403, "shop_not_allowed", "The client is not allowed for this shop.");

    public static ApiError EmailTaken() =>
        new(409, "email_taken", "An account with this email already exists in this shop.");

    public static ApiError InvalidCredentials() =>
        new(401, "invalid_credentials", "The email or password is incorrect.");

    public static ApiError TooManyAttempts(TimeSpan retryAfter) =>
        new ApiError(429, "too_many_attempts", "Too many attempts; try again later.")
            .WithHeader("Retry-After", Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture));

    public static ApiError InvalidToken() =>
        new ApiError(401, "invalid_token", "The access token is missing, invalid, expired or revoked.")
            .WithHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");

    public static ApiError InvalidGrant() =>
        new(400, "invalid_grant", "The refresh token is invalid, expired, revoked or was reused.");

    public static ApiError UnsupportedGrantType() =>
        new(400, "unsupported_grant_type", "Only grant_type=refresh_token is supported.");

    public static ApiError InvalidResetUrl() =>
        new(400, "invalid_reset_url", "reset_url must contain {hash}, be an absolute https URL (http only for localhost) and have an origin allowed for the client.");

    public static ApiError InvalidHash() =>
        new(400, "invalid_hash", "The reset hash is unknown, expired or already used.");

    public static ApiError NotFound() =>
        new(404, "not_found", "No such session among the caller's sessions.");

    public static ApiError PayloadTooLarge() =>
        new(413, "payload_too_large", $"The request body exceeds {RequestLimits.MaxBodyBytes} bytes.");

    public static ApiError Unavailable() =>
        new ApiError(503, "unavailable", "The service cannot serve this request right now; retry later.")
            .WithHeader("Retry-After", "5");

    public static ApiError Internal() =>
        new(500, "server_error", "An unexpected error occurred.");
}

public static class RequestLimits
{
    public const int MaxBodyBytes = 16 * 1024;
}
