using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuthCluster.Api.Clients;
using AuthCluster.Api.Http;
using AuthCluster.Api.Tokens;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace AuthCluster.Api.OpenApi;

/// <summary>
/// Gives every operation what the contract says about it: who may call it (security), the errors it can answer
/// with (one response per status, an example body per error code, <c>Retry-After</c> and <c>WWW-Authenticate</c>
/// where they are sent) and the customer-context headers it reads.
/// <para>
/// Most of it follows from how the endpoint binds its request, read from the handler's parameters, so the
/// document cannot drift from the code: <see cref="ApiClient"/> or <see cref="OAuthRequest{TBody}"/> means client
/// authentication and <c>invalid_client</c>; <see cref="BearerToken"/> means a bearer token and <c>invalid_token</c>;
/// a request body means <c>validation_error</c> and <c>payload_too_large</c>; a rate-limit policy means
/// <c>too_many_attempts</c>. Every operation can meet an unavailable cluster. What an endpoint's own outcomes add
/// comes from <see cref="DocumentedErrors"/>.
/// </para>
/// </summary>
internal sealed class ContractOperationTransformer(IOptions<JsonOptions> json) : IOpenApiOperationTransformer
{
    private static readonly Dictionary<string, string> Challenges = new()
    {
        ["invalid_client"] = "With `invalid_client`: `Basic realm=\"AuthCluster\"`.",
        ["invalid_token"] = "With `invalid_token`: `Bearer error=\"invalid_token\"`.",
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var parameters = metadata.OfType<MethodInfo>().FirstOrDefault()?.GetParameters().Select(p => p.ParameterType).ToList() ?? [];
        var isOAuth = parameters.Any(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(OAuthRequest<>));
        var isClient = isOAuth || parameters.Contains(typeof(ApiClient));
        var isBearer = parameters.Contains(typeof(BearerToken));
        var body = parameters.Select(t => isOAuth && t.IsGenericType ? t.GetGenericArguments()[0] : t)
            .FirstOrDefault(t => t.IsAssignableTo(typeof(IRequestBody)));

        var errors = new List<ApiError>();
        if (body is not null)
        {
            errors.Add(ValidationExample(body));
            errors.Add(ApiErrors.PayloadTooLarge());
        }

        if (isClient)
        {
            errors.Add(ApiErrors.InvalidClient());
        }

        if (isBearer)
        {
            errors.Add(ApiErrors.InvalidToken());
        }

        errors.AddRange(metadata.OfType<DocumentedErrors>().SelectMany(d => d.Errors));
        if (metadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            errors.Add(ApiErrors.TooManyAttempts(TimeSpan.FromSeconds(30)));
        }

        errors.Add(ApiErrors.Unavailable());

        var mediaType = metadata.OfType<OAuthErrors>().Any() ? OAuthErrors.MediaType : ProblemContract.MediaType;
        operation.Responses ??= [];
        foreach (var byStatus in errors.DistinctBy(e => e.Error).GroupBy(e => e.Status).OrderBy(g => g.Key))
        {
            operation.Responses[byStatus.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                ErrorResponse([.. byStatus], mediaType, context.Document!);
        }

        operation.Security = [SecurityRequirement(isClient, isBearer, context.Document!)];
        if (isOAuth)
        {
            operation.Description += "\n\nThe client may instead authenticate with `client_id` and `client_secret` in the body (`client_secret_post`).";
        }

        if (parameters.Contains(typeof(CustomerContext)))
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(Header("X-Customer-IP", "The end customer's IP address, as the shop backend saw it. Feeds the per-customer-IP rate limit and the session list."));
            operation.Parameters.Add(Header("X-Customer-User-Agent", "The end customer's User-Agent (first 512 characters kept), shown in the session list."));
        }

        return Task.CompletedTask;
    }

    /// <summary>A <c>validation_error</c> naming the body's first field, as a request without it would get.</summary>
    private ApiError ValidationExample(Type body)
    {
        var field = body.GetConstructors().SelectMany(c => c.GetParameters()).First().Name!;
        return ApiErrors.Validation(json.Value.SerializerOptions.PropertyNamingPolicy?.ConvertName(field) ?? field, "Is required.");
    }

    private OpenApiResponse ErrorResponse(IReadOnlyList<ApiError> errors, string mediaType, OpenApiDocument document)
    {
        var response = new OpenApiResponse
        {
            Description = string.Join("\n", errors.Select(e => $"- `{e.Error}`: {e.Description}")),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [mediaType] = new()
                {
                    Schema = new OpenApiSchemaReference(ContractDocumentTransformer.ProblemSchema, document),
                    Examples = errors.ToDictionary(e => e.Error, e => (IOpenApiExample)new OpenApiExample { Summary = e.Error, Value = Body(e) }),
                },
            },
        };

        var status = errors[0].Status;
        if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before trying again.",
                    Required = true,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
                },
            };
        }
        else if (errors.Select(e => Challenges.GetValueOrDefault(e.Error)).OfType<string>().ToList() is { Count: > 0 } challenges)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["WWW-Authenticate"] = new OpenApiHeader
                {
                    Description = string.Join(" ", challenges),
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            };
        }

        return response;
    }

    /// <summary>The error's body exactly as <see cref="ApiError"/> writes it.</summary>
    private JsonNode? Body(ApiError error)
    {
        var problem = ProblemContract.Create(error.Status, error.Error, error.Description, error.Errors);
        ProblemContract.Shape(problem);
        return JsonSerializer.SerializeToNode(problem, json.Value.SerializerOptions);
    }

    private static OpenApiSecurityRequirement SecurityRequirement(bool isClient, bool isBearer, OpenApiDocument document)
    {
        // An empty requirement is OpenAPI's "no credentials needed".
        var requirement = new OpenApiSecurityRequirement();
        if (isClient)
        {
            requirement[new OpenApiSecuritySchemeReference(ContractDocumentTransformer.ClientScheme, document)] = [];
        }

        if (isBearer)
        {
            requirement[new OpenApiSecuritySchemeReference(ContractDocumentTransformer.BearerScheme, document)] = [];
        }

        return requirement;
    }

    private static OpenApiParameter Header(string name, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = false,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}
