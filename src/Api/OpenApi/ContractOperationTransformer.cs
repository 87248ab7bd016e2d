using System.Globalization;
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
        var binding = Binding.Of(metadata.OfType<MethodInfo>().FirstOrDefault());
        var mediaType = metadata.OfType<OAuthErrors>().Any() ? OAuthErrors.MediaType : ProblemContract.MediaType;

        operation.Responses ??= [];
        foreach (var byStatus in ErrorsOf(binding, metadata).DistinctBy(e => e.Error).GroupBy(e => e.Status).OrderBy(g => g.Key))
        {
            operation.Responses[byStatus.Key.ToString(CultureInfo.InvariantCulture)] = ErrorResponse([.. byStatus], mediaType, context.Document!);
        }

        operation.Security = [SecurityRequirement(binding, context.Document!)];
        if (binding.IsOAuth)
        {
            operation.Description += "\n\nThe client may instead authenticate with `client_id` and `client_secret` in the body (`client_secret_post`).";
        }

        if (binding.ReadsCustomerContext)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(Header("X-Customer-IP", "The end customer's IP address as the shop backend saw it; feeds the per-customer-IP limits and the session list."));
            operation.Parameters.Add(Header("X-Customer-User-Agent", "The end customer's User-Agent (the first 512 characters are kept), shown in the session list."));
        }

        return Task.CompletedTask;
    }

    private IEnumerable<ApiError> ErrorsOf(Binding binding, IList<object> metadata)
    {
        if (binding.Body is { } body)
        {
            yield return ValidationExample(body);
            yield return ApiErrors.PayloadTooLarge();
        }

        if (binding.IsClient)
        {
            yield return ApiErrors.InvalidClient();
        }

        if (binding.IsBearer)
        {
            yield return ApiErrors.InvalidToken();
        }

        foreach (var error in metadata.OfType<DocumentedErrors>().SelectMany(d => d.Errors))
        {
            yield return error;
        }

        if (metadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            yield return ApiErrors.TooManyAttempts(TimeSpan.FromSeconds(30));
        }

        // Any call may meet a cluster or database that cannot answer.
        yield return ApiErrors.Unavailable();
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

    private static OpenApiSecurityRequirement SecurityRequirement(Binding binding, OpenApiDocument document)
    {
        // An empty requirement is OpenAPI's "no credentials needed".
        var requirement = new OpenApiSecurityRequirement();
        if (binding.IsClient)
        {
            requirement[new OpenApiSecuritySchemeReference(ContractDocumentTransformer.ClientScheme, document)] = [];
        }

        if (binding.IsBearer)
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

/// <summary>What a handler's parameters say about how its endpoint binds a request.</summary>
internal sealed record Binding(bool IsOAuth, bool IsClient, bool IsBearer, Type? Body, bool ReadsCustomerContext)
{
    public static Binding Of(MethodInfo? handler)
    {
        var types = handler?.GetParameters().Select(p => p.ParameterType).ToList() ?? [];
        var oauth = types.FirstOrDefault(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(OAuthRequest<>));
        return new Binding(
            IsOAuth: oauth is not null,
            IsClient: oauth is not null || types.Contains(typeof(ApiClient)),
            IsBearer: types.Contains(typeof(BearerToken)),
            Body: oauth?.GetGenericArguments()[0] ?? types.FirstOrDefault(t => t.IsAssignableTo(typeof(IRequestBody))),
            ReadsCustomerContext: types.Contains(typeof(CustomerContext)));
    }
}
