using System.Text.Json.Nodes;
using AuthCluster.Api.Endpoints;
using AuthCluster.Api.Tokens;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AuthCluster.Api.OpenApi;

/// <summary>
/// An example for each request and response body of the contract, on its schema, so that every operation that
/// uses the body shows it. Values are made up; none is a real token, key or password.
/// </summary>
internal static class SchemaExamples
{
    private const string AccessToken = "eyJhbGciOiJFUzI1NiIsImtpZCI6IjJmNGUiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiIzZjJiOGM0YSJ9.c2lnbmF0dXJl";
    private const string RefreshToken = "Pyu3zvH0SSmWmR0pYgUbWgxN8m0G4dO6T2vU3kqNlUo1i2KcbP5pX9yZ7wQ1rS3t";
    private const string Subject = "3f2b8c4a-6d1e-4b7a-9c55-0e8f1a2b3c4d";
    private const string Session = "9a7c1e2f-4b3d-4e6a-8f10-2c3d4e5f6a7b";

    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(RegisterRequest)] = """
            { "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
              "password": "correct horse battery", "gender": "f", "shop_id": 1 }
            """,
        [typeof(LoginRequest)] = """{ "email": "ada@example.com", "password": "correct horse battery", "shop_id": 1 }""",
        [typeof(GuestLoginRequest)] = """{ "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com", "shop_id": 1 }""",
        [typeof(LogoutRequest)] = """{ "scope": "local" }""",
        [typeof(SendResetEmailRequest)] = """
            { "email": "ada@example.com", "shop_id": 1, "reset_url": "https://shop.example/account/reset?hash={hash}" }
            """,
        [typeof(UpdateByHashRequest)] = """{ "shop_id": 1, "hash": "q3Xk0d9yWm2sV1bT8nR4cL6pZ5hJ7fA0eG2iU9oY1wE", "password": "a new long passphrase" }""",
        [typeof(TokenRequest)] = $$"""{ "grant_type": "refresh_token", "refresh_token": "{{RefreshToken}}" }""",
        [typeof(IntrospectionRequest)] = $$"""{ "token": "{{AccessToken}}" }""",
        [typeof(RevocationRequest)] = $$"""{ "token": "{{RefreshToken}}", "token_type_hint": "refresh_token" }""",
        [typeof(TokenResponse)] = $$"""
            { "token_type": "Bearer", "expires_in": 900, "access_token": "{{AccessToken}}",
              "refresh_token": "{{RefreshToken}}", "refresh_expires_in": 5184000 }
            """,
        [typeof(ResetEmailAccepted)] = """{ "status": "accepted" }""",
        [typeof(ValidationResponse)] = $$"""
            { "active": true, "sub": "{{Subject}}", "sid": "{{Session}}", "client_id": "shop-backend",
              "shop_id": 1, "customer_type": "registered", "exp": 1767225600, "iat": 1767224700 }
            """,
        [typeof(SessionResponse)] = $$"""
            { "id": "{{Session}}", "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "created_at": "2026-01-01T00:00:00Z",
              "updated_at": "2026-01-01T00:15:00Z", "expires_at": "2026-03-02T00:00:00Z", "current": true }
            """,
        [typeof(IntrospectionResponse)] = $$"""
            { "active": true, "token_type": "access_token", "iss": "https://auth.shop.example", "aud": "checkout",
              "sub": "{{Subject}}", "sid": "{{Session}}", "jti": "b1c2d3e4f5a6", "client_id": "shop-backend", "shop_id": 1,
              "customer_type": "registered", "exp": 1767225600, "iat": 1767224700, "nbf": 1767224700 }
            """,
        [typeof(JwksResponse)] = """
            { "keys": [ { "kid": "2f4e", "use": "sig", "alg": "ES256", "kty": "EC", "crv": "P-256",
              "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" } ] }
            """,
        [typeof(DiscoveryDocument)] = """
            { "issuer": "https://auth.shop.example", "jwks_uri": "https://auth.shop.example/.well-known/jwks.json",
              "token_endpoint": "https://auth.shop.example/v1/oauth/token",
              "introspection_endpoint": "https://auth.shop.example/v1/oauth/introspect",
              "revocation_endpoint": "https://auth.shop.example/v1/oauth/revoke",
              "grant_types_supported": ["refresh_token"],
              "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
              "id_token_signing_alg_values_supported": ["ES256"], "subject_types_supported": ["public"],
              "response_types_supported": ["none"] }
            """,
    };

    /// <summary>The schema transformer.</summary>
    public static Task Apply(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (Examples.TryGetValue(context.JsonTypeInfo.Type, out var example))
        {
            schema.Examples = [JsonNode.Parse(example)!];
        }

        return Task.CompletedTask;
    }
}
