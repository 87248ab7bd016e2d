using System.Text.Json.Serialization;
using AuthCluster.Api.Http;
using AuthCluster.Api.OpenApi;
using AuthCluster.Api.Tokens;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthCluster.Api.Endpoints;

/// <summary>Refresh, validation, introspection and the session list (<c>/v1/oauth</c>).</summary>
public static class OAuthEndpoints
{
    public static RouteGroupBuilder MapOAuthEndpoints(this RouteGroupBuilder v1)
    {
        var oauth = v1.MapGroup("/oauth").WithTags("Tokens and sessions");
        oauth.MapPost("/token", Token).DisableAntiforgery().WithMetadata(OAuthErrors.Metadata)
            .WithName("RefreshToken").WithSummary("Refresh tokens")
            .WithDescription("`grant_type=refresh_token` (form or JSON): a new access token and a **new** refresh token; the presented one is retired. A retired token presented again within the grace window gets the same successor; after it, the whole session is revoked (`invalid_grant`).")
            .ProducesErrors(ApiErrors.InvalidGrant(), ApiErrors.UnsupportedGrantType());
        oauth.MapGet("/token/validate", Validate)
            .WithName("ValidateToken").WithSummary("Validate an access token")
            .WithDescription("`200` with the token's claims if its signature, lifetime, issuer, audience and type are valid **and** its session is not revoked; `401 invalid_token` otherwise.");
        oauth.MapGet("/tokens", ListSessions)
            .WithName("ListSessions").WithSummary("List the customer's sessions")
            .WithDescription("The active sessions of the bearer token's customer, newest first; `current` marks the bearer token's own.");
        oauth.MapDelete("/tokens/{id}", RevokeSession)
            .WithName("RevokeSession").WithSummary("Revoke one of the customer's sessions")
            .WithDescription("Revokes the session `id` (the `sid` of its access tokens) of the bearer token's customer; `404` for any id that is not one of them.")
            .ProducesErrors(ApiErrors.NotFound());
        oauth.MapPost("/introspect", Introspect).DisableAntiforgery().WithMetadata(OAuthErrors.Metadata)
            .WithName("IntrospectToken").WithSummary("Introspect a token (RFC 7662)")
            .WithDescription("`{\"active\": true, ...claims}` for a live access or refresh token of a shop the client serves; `{\"active\": false}` for anything else.");
        oauth.MapPost("/revoke", Revoke).DisableAntiforgery().WithMetadata(OAuthErrors.Metadata)
            .WithName("RevokeToken").WithSummary("Revoke a token (RFC 7009)")
            .WithDescription("Revokes the session of a refresh or access token at once. `200` also for unknown, inactive or other shops' tokens, which change nothing.");
        return v1;
    }

    public static async Task<Results<Ok<TokenResponse>, ApiError>> Token(
        OAuthRequest<TokenRequest> request, CustomerContext customer, IGrainFactory grains, AccessTokenIssuer tokens)
    {
        // Validation demands refresh_token with this grant type, so only another grant type misses the pattern.
        if (request.Body is not { GrantType: TokenRequest.RefreshTokenGrant, RefreshToken: { } refreshToken })
        {
            return ApiErrors.UnsupportedGrantType();
        }

        if (!RefreshTokenFormat.TryParse(refreshToken, out var sessionId, out _))
        {
            return ApiErrors.InvalidGrant();
        }

        var result = await grains.GetGrain<ISessionGrain>(sessionId).Refresh(refreshToken, request.Client.For(customer));
        if (result.Grant is not { } grant)
        {
            return ApiErrors.InvalidGrant();
        }

        return TypedResults.Ok(await tokens.IssueAsync(grant));
    }

    public static Ok<ValidationResponse> Validate(BearerToken bearer)
    {
        var claims = bearer.Claims;
        return TypedResults.Ok(new ValidationResponse(
            true, claims.Subject, claims.SessionId, claims.ClientId, claims.ShopId,
            AccessToken.CustomerTypeName(claims.CustomerType), claims.Expires, claims.IssuedAt));
    }

    public static async Task<Ok<SessionResponse[]>> ListSessions(BearerToken bearer, IGrainFactory grains)
    {
        var sessions = await bearer.Owner(grains).GetSessions();
        return TypedResults.Ok(sessions
            .OrderByDescending(s => s.CreatedAt)
            .Select(s => new SessionResponse(s.Id, s.Ip, s.UserAgent, s.CreatedAt.UtcDateTime, s.UpdatedAt.UtcDateTime, s.ExpiresAt.UtcDateTime, s.Id == bearer.Claims.SessionId))
            .ToArray());
    }

    public static async Task<Results<NoContent, ApiError>> RevokeSession(BearerToken bearer, string id, IGrainFactory grains)
    {
        if (!Guid.TryParse(id, out var sessionId) || !await bearer.Owner(grains).RevokeSession(sessionId, RevocationReason.Deleted))
        {
            return ApiErrors.NotFound();
        }

        return TypedResults.NoContent();
    }

    /// <summary>
    /// RFC 7662. Answers only about tokens of shops the calling client may serve; anything else is
    /// simply inactive, so introspection cannot be used to probe other shops' tokens.
    /// </summary>
    public static async Task<Ok<IntrospectionResponse>> Introspect(
        OAuthRequest<IntrospectionRequest> request, IGrainFactory grains, AccessTokenValidator validator)
    {
        var token = request.Body.Token;
        IntrospectionResponse? response = null;
        if (RefreshTokenFormat.TryParse(token, out var sessionId, out _))
        {
            var info = await grains.GetGrain<ISessionGrain>(sessionId).Inspect(token);
            if (info is not null)
            {
                response = new IntrospectionResponse(true)
                {
                    TokenType = "refresh_token",
                    Sub = info.SubjectId,
                    Sid = info.SessionId,
                    ClientId = info.ClientId,
                    ShopId = info.ShopId,
                    CustomerType = AccessToken.CustomerTypeName(info.CustomerType),
                    Exp = info.ExpiresAt.ToUnixTimeSeconds(),
                };
            }
        }
        else if (await validator.ValidateAsync(token) is { } claims)
        {
            response = new IntrospectionResponse(true)
            {
                TokenType = "access_token",
                Iss = claims.Issuer,
                Aud = claims.Audience,
                Sub = claims.Subject,
                Sid = claims.SessionId,
                Jti = claims.TokenId,
                ClientId = claims.ClientId,
                ShopId = claims.ShopId,
                CustomerType = AccessToken.CustomerTypeName(claims.CustomerType),
                Exp = claims.Expires,
                Iat = claims.IssuedAt,
                Nbf = claims.NotBefore,
            };
        }

        return TypedResults.Ok(response is not null && request.Client.ShopIds.Contains(response.ShopId!.Value)
            ? response
            : new IntrospectionResponse(false));
    }

    /// <summary>
    /// RFC 7009: revokes the session of a refresh or access token, through its owner so that the owner's session
    /// list stays right. Unknown, inactive and other shops' tokens get the same empty 200 and change nothing.
    /// </summary>
    public static async Task<Ok<EmptyResponse>> Revoke(
        OAuthRequest<RevocationRequest> request, IGrainFactory grains, AccessTokenValidator validator)
    {
        if (await LiveSessionOf(request.Body.Token, grains, validator) is { } session && request.Client.ShopIds.Contains(session.ShopId))
        {
            await SessionOwners.Of(grains, session.SubjectId, session.CustomerType)
                .RevokeSession(session.SessionId, RevocationReason.RevokedByClient);
        }

        return TypedResults.Ok(EmptyResponse.Instance);
    }

    private static async Task<RefreshTokenInfo?> LiveSessionOf(string token, IGrainFactory grains, AccessTokenValidator validator)
    {
        if (RefreshTokenFormat.TryParse(token, out var sessionId, out _))
        {
            return await grains.GetGrain<ISessionGrain>(sessionId).Inspect(token);
        }

        return await validator.ValidateAsync(token) is { } claims
            ? new RefreshTokenInfo(claims.SessionId, claims.Subject, claims.CustomerType, claims.ShopId, claims.ClientId, DateTimeOffset.FromUnixTimeSeconds(claims.Expires))
            : null;
    }
}

/// <summary>A <c>{}</c> body, where RFC 7009 answers with nothing to say.</summary>
public sealed record EmptyResponse
{
    public static EmptyResponse Instance { get; } = new();
}

public sealed record ValidationResponse(
    bool Active, Guid Sub, Guid Sid, string ClientId, long ShopId, string CustomerType, long Exp, long Iat);

public sealed record SessionResponse(
    Guid Id, string? Ip, string? UserAgent, DateTime CreatedAt, DateTime UpdatedAt, DateTime ExpiresAt, bool Current);

/// <summary>RFC 7662 response; inactive tokens carry nothing but <c>active</c>.</summary>
public sealed record IntrospectionResponse(bool Active)
{
    // Absent claims are left out rather than sent as null (RFC 7662 §2.2).
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TokenType { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Iss { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Aud { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? Sub { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? Sid { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Jti { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ShopId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerType { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Exp { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Iat { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Nbf { get; init; }
}
