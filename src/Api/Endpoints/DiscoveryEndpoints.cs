using AuthCluster.Api.Tokens;
using AuthCluster.Grains.Interfaces;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AuthCluster.Api.Endpoints;

/// <summary>JWKS and the discovery documents, so stock JWT libraries validate our access tokens unaided.</summary>
public static class DiscoveryEndpoints
{
    /// <summary>Validators may cache the JWKS this long; <see cref="SigningOptions.PublishLead"/> must exceed it.</summary>
    public static readonly TimeSpan JwksMaxAge = TimeSpan.FromMinutes(5);

    public static IEndpointRouteBuilder MapDiscoveryEndpoints(this IEndpointRouteBuilder app)
    {
        var wellKnown = app.MapGroup("/.well-known").WithTags("Discovery");
        wellKnown.MapGet("/jwks.json", Jwks)
            .WithName("GetJwks").WithSummary("Signing keys (JWKS)")
            .WithDescription("The public keys that verify access tokens: the current key, the next one before it signs, and older ones until their tokens have expired.");
        wellKnown.MapGet("/openid-configuration", Configuration)
            .WithName("GetOpenIdConfiguration").WithSummary("OpenID discovery document")
            .WithDescription("Issuer, JWKS and endpoint URLs, as OpenID Connect discovery readers expect them.");
        wellKnown.MapGet("/oauth-authorization-server", Configuration)
            .WithName("GetAuthorizationServerMetadata").WithSummary("OAuth authorization server metadata (RFC 8414)")
            .WithDescription("The same document as `/.well-known/openid-configuration`.");
        return app;
    }

    public static async Task<Ok<JwksResponse>> Jwks(SigningKeyCache keys, HttpResponse response)
    {
        var ring = await keys.GetAsync();
        response.Headers.CacheControl = $"public, max-age={(int)JwksMaxAge.TotalSeconds}";
        return TypedResults.Ok(new JwksResponse([.. ring.Keys.Select(k => k.PublicJwk())]));
    }

    public static async Task<Ok<DiscoveryDocument>> Configuration(IOptions<AuthOptions> options, SigningKeyCache keys, HttpResponse response)
    {
        var ring = await keys.GetAsync();
        var issuer = options.Value.Issuer.TrimEnd('/');
        response.Headers.CacheControl = $"public, max-age={(int)JwksMaxAge.TotalSeconds}";
        return TypedResults.Ok(new DiscoveryDocument(
            options.Value.Issuer,
            $"{issuer}/.well-known/jwks.json",
            $"{issuer}/v1/oauth/token",
            $"{issuer}/v1/oauth/introspect",
            $"{issuer}/v1/oauth/revoke",
            ["refresh_token"],
            ["client_secret_basic", "client_secret_post"],
            // Every algorithm a token still in circulation may carry, not only today's: older keys stay in the JWKS.
            ring.Algorithms.Count > 0 ? ring.Algorithms : [options.Value.Signing.Algorithm],
            ["public"],
            ["none"]));
    }
}

public sealed record JwksResponse(IReadOnlyList<Dictionary<string, string>> Keys);

public sealed record DiscoveryDocument(
    string Issuer,
    string JwksUri,
    string TokenEndpoint,
    string IntrospectionEndpoint,
    string RevocationEndpoint,
    IReadOnlyList<string> GrantTypesSupported,
    IReadOnlyList<string> TokenEndpointAuthMethodsSupported,
    IReadOnlyList<string> IdTokenSigningAlgValuesSupported,
    IReadOnlyList<string> SubjectTypesSupported,
    IReadOnlyList<string> ResponseTypesSupported);
