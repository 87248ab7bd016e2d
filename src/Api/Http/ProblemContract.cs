using Microsoft.AspNetCore.Mvc;

namespace AuthCluster.Api.Http;

/// <summary>
/// The contract's error body (API.md, "Errors"): <c>type</c>, <c>title</c>, <c>status</c>, <c>error</c>,
/// <c>error_description</c> and, on <c>validation_error</c> only, <c>errors</c> — nothing else (no <c>detail</c>,
/// <c>instance</c> or <c>traceId</c>). <see cref="Customize"/> is the <see cref="ProblemDetailsOptions"/> customization,
/// so a problem the framework writes on its own comes out in the same shape as ours.
/// </summary>
public static class ProblemContract
{
    public const string MediaType = "application/problem+json";
    private const string TypeBase = "https://authcluster.dev/errors/";
    private const string ErrorMember = "error";
    private const string DescriptionMember = "error_description";
    private const string ErrorsMember = "errors";

    /// <summary>A problem in framework terms: the description is its <c>detail</c> until <see cref="Shape"/> runs.</summary>
    public static ProblemDetails Create(int status, string error, string description, IReadOnlyDictionary<string, string[]>? errors)
    {
        var problem = new ProblemDetails { Status = status, Detail = description };
        problem.Extensions[ErrorMember] = error;
        if (errors is not null)
        {
            problem.Extensions[ErrorsMember] = errors;
        }

        return problem;
    }

    public static void Customize(ProblemDetailsContext context) => Shape(context.ProblemDetails);

    /// <summary>Rewrites <paramref name="problem"/> to exactly the contract's members; shaping twice changes nothing.</summary>
    public static void Shape(ProblemDetails problem)
    {
        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        var extensions = problem.Extensions;
        var error = extensions.TryGetValue(ErrorMember, out var code) && code is string known ? known : CodeFor(status);
        var description = problem.Detail
            ?? (extensions.TryGetValue(DescriptionMember, out var given) ? given as string : null)
            ?? Title(status);
        extensions.TryGetValue(ErrorsMember, out var errors);

        extensions.Clear();
        extensions[ErrorMember] = error;
        extensions[DescriptionMember] = description;
        if (errors is not null)
        {
            extensions[ErrorsMember] = errors;
        }

        problem.Type = TypeBase + error;
        problem.Title = Title(status);
        problem.Status = status;
        problem.Detail = null;
        problem.Instance = null;
    }

    // Only for problems the framework makes itself; ours always name their code.
    private static string CodeFor(int status) => status switch
    {
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status413PayloadTooLarge => "payload_too_large",
        StatusCodes.Status429TooManyRequests => "too_many_attempts",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        >= 500 => "server_error",
        _ => "invalid_request",
    };

    private static string Title(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Error",
    };
}
