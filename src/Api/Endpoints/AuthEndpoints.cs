using AuthCluster.Api.Clients;
using AuthCluster.Api.Hosting;
using AuthCluster.Api.Http;
using AuthCluster.Api.Tokens;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthCluster.Api.Endpoints;

/// <summary>Register, login, guest login and logout (<c>/v1/auth</c>).</summary>
public static class AuthEndpoints
{
    public static RouteGroupBuilder MapAuthEndpoints(this RouteGroupBuilder v1)
    {
        var auth = v1.MapGroup("/auth").WithTags("Authentication");
        auth.MapPost("/register", Register).RequireRateLimiting(RateLimits.CustomerIp);
        auth.MapPost("/login", Login).RequireRateLimiting(RateLimits.CustomerIp);
        auth.MapPost("/login/guest", LoginGuest).RequireRateLimiting(RateLimits.CustomerIp);
        auth.MapPost("/logout", Logout);
        return v1;
    }

    public static async Task<Results<Created<TokenResponse>, ApiError>> Register(
        ApiClient client, JsonBody body, CustomerContext customer, IGrainFactory grains, AccessTokenIssuer tokens, AuthMetrics metrics)
    {
        var profile = new Profile(body.Name("first_name"), body.Name("last_name"), body.Email(), body.Gender());
        var password = body.NewPassword();
        var shopId = body.ShopId();
        body.ThrowIfInvalid();
        client.EnsureShop(shopId);

        var result = await grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(shopId, profile.Email))
            .Register(profile, password, client.For(customer));
        metrics.Registered(result.Outcome);
        return result.Grant is { } grant
            ? TypedResults.Created((string?)null, await tokens.IssueAsync(grant))
            : ApiErrors.EmailTaken();
    }

    public static async Task<Results<Ok<TokenResponse>, ApiError>> Login(
        ApiClient client, JsonBody body, CustomerContext customer, IGrainFactory grains, AccessTokenIssuer tokens, AuthMetrics metrics)
    {
        var email = body.Email();
        var password = body.PresentedPassword();
        var shopId = body.ShopId();
        body.ThrowIfInvalid();
        client.EnsureShop(shopId);

        var result = await grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(shopId, email))
            .Login(password, client.For(customer));
        metrics.LoggedIn(result.Outcome);
        return result.Outcome switch
        {
            LoginOutcome.Success => TypedResults.Ok(await tokens.IssueAsync(result.Grant!)),
            LoginOutcome.Throttled => ApiErrors.TooManyAttempts(result.RetryAfter),
            _ => ApiErrors.InvalidCredentials(),
        };
    }

    public static async Task<Created<TokenResponse>> LoginGuest(
        ApiClient client, JsonBody body, CustomerContext customer, IGrainFactory grains, AccessTokenIssuer tokens)
    {
        var profile = new Profile(body.Name("first_name"), body.Name("last_name"), body.Email(), body.Gender());
        var shopId = body.ShopId();
        body.ThrowIfInvalid();
        client.EnsureShop(shopId);

        var grant = await grains.GetGrain<IGuestGrain>(Guid.NewGuid()).Create(shopId, profile, client.For(customer));
        return TypedResults.Created((string?)null, await tokens.IssueAsync(grant));
    }

    public static async Task<NoContent> Logout(BearerToken bearer, JsonBody body, IGrainFactory grains)
    {
        var scope = body.OptionalString("scope") switch
        {
            null or "local" => LogoutScope.Local,
            "others" => LogoutScope.Others,
            "global" => LogoutScope.Global,
            _ => Invalid(body),
        };
        body.ThrowIfInvalid();

        await bearer.Owner(grains).Logout(bearer.Claims.SessionId, scope);
        return TypedResults.NoContent();

        static LogoutScope Invalid(JsonBody body)
        {
            body.AddError("scope", "Must be one of local, others, global.");
            return LogoutScope.Local;
        }
    }
}
