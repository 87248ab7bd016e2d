using System.Security.Cryptography;
using AuthCluster.Api.Http;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthCluster.Api.Tokens;

/// <summary>The claims of a verified access token.</summary>
public sealed record AccessToken(
    string Issuer,
    string Audience,
    Guid Subject,
    Guid SessionId,
    string TokenId,
    string ClientId,
    long ShopId,
    CustomerType CustomerType,
    long IssuedAt,
    long NotBefore,
    long Expires)
{
    public static string CustomerTypeName(CustomerType type) => type == CustomerType.Guest ? "guest" : "registered";
}

/// <summary>The token response of the contract.</summary>
public sealed record TokenResponse(string TokenType, long ExpiresIn, string AccessToken, string RefreshToken, long RefreshExpiresIn);

/// <summary>Signs access tokens (RFC 9068 <c>at+jwt</c>) for sessions the grains granted.</summary>
public sealed class AccessTokenIssuer(SigningKeyCache keys, IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<TokenResponse> IssueAsync(SessionGrant grant)
    {
        var ring = await keys.GetAsync();
        // Read the clock after loading the ring: a key created by that very load signs from the grain's "now",
        // which is later than a time taken before the call.
        var now = time.GetUtcNow();
        var signer = ring.SignerAt(now) ?? throw new InvalidOperationException("No signing key is active.");
        var settings = options.Value;

        // Never outlive the session: an access token past the session's end would outlast its revocation check.
        var expires = Min(now + settings.Tokens.AccessTokenLifetime, grant.ExpiresAt);
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            TokenType = "at+jwt",
            SigningCredentials = signer.Credentials,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = grant.SubjectId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
                ["sid"] = grant.SessionId.ToString(),
                ["client_id"] = grant.ClientId,
                ["shop_id"] = grant.ShopId,
                ["customer_type"] = AccessToken.CustomerTypeName(grant.CustomerType),
            },
        });

        return new TokenResponse(
            "Bearer",
            (long)(expires - now).TotalSeconds,
            token,
            grant.RefreshToken,
            (long)(grant.ExpiresAt - now).TotalSeconds);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

/// <summary>
/// Verifies access tokens: signature with the published key its <c>kid</c> names and that key's pinned algorithm,
/// <c>typ</c>, issuer, audience, lifetime, no <c>crit</c> extension, and — on validation — that the session is
/// active and belongs to the token's subject. A verified token is cached until it expires, so the checkout's
/// repeated validation of one token pays for the signature once. The session check asks the session's grain once
/// per <see cref="RevocationView"/> epoch and then answers from the view, which every revocation reaches before its
/// caller is answered. Every refusal is a security event (<see cref="SecurityEvents.Category"/>), named by its
/// reason only.
/// </summary>
public sealed partial class AccessTokenValidator(
    SigningKeyCache keys,
    RevocationView revocations,
    IGrainFactory grains,
    IOptions<AuthOptions> options,
    TimeProvider time,
    IMemoryCache cache,
    ILoggerFactory loggers)
{
    /// <summary>RFC 9068 §4 <c>typ</c>; the <c>application/</c> prefix may be left out (RFC 7515 §4.1.9), and we do.</summary>
    private static readonly string[] AccessTokenTypes = ["at+jwt", "application/at+jwt"];

    private readonly JsonWebTokenHandler _handler = new();
    private readonly ILogger _security = loggers.CreateLogger(SecurityEvents.Category);

    /// <summary>The verified claims of an access token whose session is still active and its subject's, or null.</summary>
    public async Task<AccessToken?> ValidateAsync(string token)
    {
        var claims = await VerifyAsync(token);
        if (claims is null)
        {
            AuthMeter.Validated("invalid_token");
            return null;
        }

        if (revocations.IsRevoked(claims.SessionId))
        {
            LogInvalidSession(_security, claims.SessionId, claims.Subject, claims.ClientId);
            AuthMeter.Validated("inactive_session");
            return null;
        }

        var epoch = revocations.SureEpoch;
        var confirmedKey = new ConfirmedSession(claims.SessionId, claims.Subject, claims.CustomerType);
        if (epoch is not null && cache.TryGetValue(confirmedKey, out long confirmedIn) && confirmedIn == epoch)
        {
            AuthMeter.Validated("active");
            return claims;
        }

        // A session answers only for its own subject: a token whose sub was changed under a stolen key and a real
        // sid must not act on (log out, list the sessions of) another customer.
        if (!await grains.GetGrain<ISessionGrain>(claims.SessionId).IsActiveFor(claims.Subject, claims.CustomerType))
        {
            LogInvalidSession(_security, claims.SessionId, claims.Subject, claims.ClientId);
            AuthMeter.Validated("inactive_session");
            return null;
        }

        // Active when the grain answered, and every revocation since reaches the view while the epoch lasts.
        if (epoch is { } sure)
        {
            cache.Set(confirmedKey, sure, new MemoryCacheEntryOptions
            {
                AbsoluteExpiration = DateTimeOffset.FromUnixTimeSeconds(claims.Expires) + options.Value.Tokens.ClockSkew,
                Size = 1,
            });
        }

        AuthMeter.Validated("active");
        return claims;
    }

    /// <summary>The cache key of "this session was active, and its subject's, in a view epoch".</summary>
    private sealed record ConfirmedSession(Guid SessionId, Guid Subject, CustomerType CustomerType);

    /// <summary>Signature and claims only, without the session check.</summary>
    public async Task<AccessToken?> VerifyAsync(string token)
    {
        var now = time.GetUtcNow();
        var skew = options.Value.Tokens.ClockSkew;
        var cacheKey = CacheKey(token);
        if (cache.TryGetValue(cacheKey, out VerifiedToken? cached) && cached is not null)
        {
            // The cache entry may live up to the skew past expiry; the lifetime check must stay exact.
            if (DateTimeOffset.FromUnixTimeSeconds(cached.Claims.Expires) + skew <= now)
            {
                LogInvalidToken(_security, nameof(SecurityTokenExpiredException));
                return null;
            }

            // A key revoked since the signature was checked takes its tokens with it (an in-memory lookup).
            if (!(await keys.GetAsync()).Publishes(cached.KeyId))
            {
                cache.Remove(cacheKey);
                LogInvalidToken(_security, "key revoked");
                return null;
            }

            return cached.Claims;
        }

        if (token.Length > RequestLimits.MaxBodyBytes)
        {
            LogInvalidToken(_security, "too long");
            return null;
        }

        var ring = await keys.GetAsync();
        var settings = options.Value;
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            IssuerSigningKeys = ring.SecurityKeys,
            ValidAlgorithms = ring.Algorithms,
            ValidTypes = AccessTokenTypes,
            ClockSkew = skew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            TryAllIssuerSigningKeys = false,
            LifetimeValidator = (notBefore, expires, _, _) =>
                notBefore is { } nbf && expires is { } exp && nbf - skew <= now.UtcDateTime && now.UtcDateTime < exp + skew,
        });

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            // The exception's type says why (signature, lifetime, issuer…); its message may quote the token.
            LogInvalidToken(_security, result.Exception?.GetType().Name ?? "unreadable");
            return null;
        }

        if (Refusal(jwt, ring) is { } refusal)
        {
            LogInvalidToken(_security, refusal);
            return null;
        }

        if (ReadClaims(jwt) is not { } claims)
        {
            LogInvalidToken(_security, "claims");
            return null;
        }

        cache.Set(cacheKey, new VerifiedToken(claims, jwt.Kid), new MemoryCacheEntryOptions
        {
            AbsoluteExpiration = DateTimeOffset.FromUnixTimeSeconds(claims.Expires) + skew,
            Size = 1,
        });
        return claims;
    }

    /// <summary>What the handler does not check: why a token it accepted is still not one of ours, or null.</summary>
    private static string? Refusal(JsonWebToken jwt, KeyRingSnapshot ring)
    {
        // RFC 7515 §4.1.11: we understand no extension, so a token that makes one critical must be refused.
        if (jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return "crit header";
        }

        // The handler may match a key by x5t when kid is missing; our tokens always name their key by kid.
        if (string.IsNullOrEmpty(jwt.Kid) || ring.Keys.FirstOrDefault(k => k.KeyId == jwt.Kid) is not { } key)
        {
            return "no usable kid";
        }

        return jwt.Alg == key.Algorithm ? null : "algorithm not the key's";
    }

    private static AccessToken? ReadClaims(JsonWebToken jwt)
    {
        if (!jwt.TryGetPayloadValue<string>("sub", out var sub) || !Guid.TryParse(sub, out var subject)
            || !jwt.TryGetPayloadValue<string>("sid", out var sid) || !Guid.TryParse(sid, out var sessionId)
            || !jwt.TryGetPayloadValue<string>("client_id", out var clientId)
            || !jwt.TryGetPayloadValue<long>("shop_id", out var shopId)
            || !jwt.TryGetPayloadValue<string>("customer_type", out var type) || type is not ("registered" or "guest")
            || !jwt.TryGetPayloadValue<long>("exp", out var exp)
            || !jwt.TryGetPayloadValue<long>("iat", out var iat)
            || !jwt.TryGetPayloadValue<long>("nbf", out var nbf))
        {
            return null;
        }

        return new AccessToken(
            jwt.Issuer, jwt.Audiences.FirstOrDefault() ?? "", subject, sessionId, jwt.Id, clientId, shopId,
            type == "guest" ? CustomerType.Guest : CustomerType.Registered, iat, nbf, exp);
    }

    /// <summary>A cache entry: the claims and the key that signed them.</summary>
    private sealed record VerifiedToken(AccessToken Claims, string KeyId);

    // Hash the token so the cache does not hold bearer credentials as keys.
    private static string CacheKey(string token) =>
        "at:" + Convert.ToBase64String(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}

/// <summary>The verified bearer token of a request; binding fails with <c>401 invalid_token</c>.</summary>
public sealed record BearerToken(AccessToken Claims)
{
    public static async ValueTask<BearerToken> BindAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length)
        {
            throw new ApiException(ApiErrors.InvalidToken());
        }

        var validator = context.RequestServices.GetRequiredService<AccessTokenValidator>();
        var claims = await validator.ValidateAsync(header[scheme.Length..].Trim());
        return claims is null ? throw new ApiException(ApiErrors.InvalidToken()) : new BearerToken(claims);
    }

    public ISessionOwnerGrain Owner(IGrainFactory grains) => SessionOwners.Of(grains, Claims.Subject, Claims.CustomerType);
}
