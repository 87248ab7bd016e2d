using System.Text.Json.Nodes;
using AuthCluster.Grains.Interfaces;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace AuthCluster.Api.OpenApi;

/// <summary>
/// The document-wide parts of the contract: title and overview, the server (the configured issuer, never the
/// address a request happened to use), tag descriptions, the two security schemes and the problem body that
/// <see cref="ContractOperationTransformer"/> refers to.
/// </summary>
internal sealed class ContractDocumentTransformer(IOptions<AuthOptions> options) : IOpenApiDocumentTransformer
{
    public const string ClientScheme = "client";
    public const string BearerScheme = "bearer";
    public const string ProblemSchema = "Problem";

    private const string Overview = """
        Authentication for web shops: shop backends register customers, log them and guests in, refresh and
        validate tokens, list and revoke sessions.

        **Credentials.** Shop backends authenticate as API clients with HTTP Basic (`client_id:client_secret`,
        form-url-encoded inside, RFC 6749 §2.3.1); customer calls carry the customer's access token as a Bearer
        token. Forward the end customer's IP and User-Agent in `X-Customer-IP` and `X-Customer-User-Agent`.

        **Errors** are RFC 9457 `application/problem+json` with a stable machine code in `error` and a text in
        `error_description` (per-field messages in `errors` on `validation_error`). The OAuth endpoints
        (`/v1/oauth/token`, `/v1/oauth/introspect`, `/v1/oauth/revoke`) send the same members as
        `application/json`, as RFC 6749 §5.2 requires. `429` and `503` carry `Retry-After` (seconds).

        **Access tokens** are JWTs (`typ: at+jwt`) that stock libraries validate from the discovery document and
        the JWKS alone; `GET /v1/oauth/token/validate` also tells whether the session was revoked.
        """;

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "AuthCluster API";
        document.Info.Version = "v1";
        document.Info.Description = Overview;
        document.Servers = [new OpenApiServer { Url = options.Value.Issuer.TrimEnd('/'), Description = "This service (Auth:Issuer)" }];

        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
        {
            tag.Description = tag.Name switch
            {
                "Authentication" => "Register, log in and out, reset a forgotten password. Called by the shop backend as an API client.",
                "Tokens and sessions" => "Refresh, validate, introspect and revoke tokens; list and revoke a customer's sessions.",
                "Discovery" => "Anonymous metadata for stock OAuth and JWT libraries: the signing keys and the server's endpoints.",
                _ => tag.Description,
            };
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ClientScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "basic",
            Description = "The API client: `client_id` and `client_secret` (client_secret_basic).",
        };
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A customer's access token from a token response.",
        };

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();
        return Task.CompletedTask;
    }

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An error: RFC 9457 problem details carrying the OAuth-style `error` code.",
        Required = new HashSet<string> { "type", "title", "status", "error", "error_description" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "Identifies the error code." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The HTTP status's name." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The HTTP status code." },
            ["error"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable machine-readable code, e.g. `invalid_grant`." },
            ["error_description"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Human-readable explanation; never contains secrets." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Only on `validation_error`: messages per request field (snake_case names).",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
        Examples = [JsonNode.Parse("""
            { "type": "https://authcluster.dev/errors/invalid_credentials", "title": "Unauthorized", "status": 401,
              "error": "invalid_credentials", "error_description": "The email or password is incorrect." }
            """)!],
    };
}
