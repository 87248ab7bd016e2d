using AuthCluster.Api.Clients;
using AuthCluster.Api.Hosting;
using AuthCluster.Api.Http;
using AuthCluster.Api.OpenApi;
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
        auth.MapPost("/register", Register).RequireRateLimiting(RateLimits.CustomerIp)
            .WithName("Register").WithSummary("Register a customer")
            .WithDescription("Creates an account in the shop and logs the customer in: `201` with a token response. The email must not have an account in that shop yet (guests never block it).")
            .ProducesErrors(ApiErrors.ShopNotAllowed(), ApiErrors.EmailTaken());
        auth.MapPost("/login", Login).RequireRateLimiting(RateLimits.CustomerIp)
            .WithName("Login").WithSummary("Log a customer in")
            .WithDescription("Checks email and password and starts a session. A failure is `invalid_credentials` whether or not the email has an account; repeated failures for one account are throttled (`429` with `Retry-After`).")
            .ProducesErrors(ApiErrors.ShopNotAllowed(), ApiErrors.InvalidCredentials(), ApiErrors.TooManyAttempts(TimeSpan.FromMinutes(1)));
        auth.MapPost("/login/guest", LoginGuest).RequireRateLimiting(RateLimits.CustomerIp)
            .WithName("LoginGuest").WithSummary("Log a guest in")
            .WithDescription("Starts a session for a new guest (`customer_type` = `guest`) on every call; the same email may be used any number of times.")
            .ProducesErrors(ApiErrors.ShopNotAllowed());
        auth.MapPost("/logout", Logout)
            .WithName("Logout").WithSummary("Log out")
            .WithDescription("Revokes the bearer token's session at once: its refresh token and every access token of it. `scope` `others` revokes the customer's other sessions instead, `global` all of them.");
        return v1;
    }

    public static async Task<Results<Created<TokenResponse>, ApiError>> Register(
        ApiClient client, RegisterRequest request, CustomerContext customer, IGrainFactory grains, AccessTokenIssuer tokens, AuthMetrics metrics, SecurityLog security)
    {
        client.EnsureShop(request.ShopId);
        var profile = request.ToProfile();
        var operation = Operation.New();
        var result = await grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(request.ShopId, profile.Email))
            .Register(profile, request.Password, client.For(customer), operation.SubjectId, operation.SessionId);
        metrics.Registered(result.Outcome);
        if (result.Grant is not { } grant)
        {
            security.RegistrationRefused(client.ClientId, request.ShopId, profile.Email, customer);
            return ApiErrors.EmailTaken();
        }

        security.Registered(client.ClientId, request.ShopId, grant.SubjectId, customer);
        return TypedResults.Created((string?)null, await tokens.IssueAsync(grant));
    }

    public static async Task<Results<Ok<TokenResponse>, ApiError>> Login(
        ApiClient client, LoginRequest request, CustomerContext customer, IGrainFactory grains, AccessTokenIssuer tokens, AuthMetrics metrics, SecurityLog security)
    {
        client.EnsureShop(request.ShopId);
        var result = await grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(request.ShopId, request.Email))
            .Login(request.Password, client.For(customer), Operation.New().SessionId);
        metrics.LoggedIn(result.Outcome);
        switch (result.Outcome)
        {
            case LoginOutcome.Success:
                security.LoginSucceeded(client.ClientId, request.ShopId, result.Grant!.SubjectId, customer);
                return TypedResults.Ok(await tokens.IssueAsync(result.Grant));
            case LoginOutcome.Throttled:
                security.LoginFailed("throttled", client.ClientId, request.ShopId, request.Email, customer);
                return ApiErrors.TooManyAttempts(result.RetryAfter);
            default:
                security.LoginFailed("invalid_credentials", client.ClientId, request.ShopId, request.Email, customer);
                return ApiErrors.InvalidCredentials();
        }
    }

    public static async Task<Created<TokenResponse>> LoginGuest(
        ApiClient client, GuestLoginRequest request, CustomerContext customer, IGrainFactory grains, AccessTokenIssuer tokens, SecurityLog security)
    {
        client.EnsureShop(request.ShopId);
        var operation = Operation.New();
        var grant = await grains.GetGrain<IGuestGrain>(operation.SubjectId).Create(request.ShopId, request.ToProfile(), client.For(customer), operation.SessionId);
        security.GuestLoggedIn(client.ClientId, request.ShopId, grant.SubjectId, customer);
        return TypedResults.Created((string?)null, await tokens.IssueAsync(grant));
    }

    public static async Task<NoContent> Logout(BearerToken bearer, LogoutRequest request, CustomerContext customer, IGrainFactory grains, SecurityLog security)
    {
        var scope = request.ToScope();
        await bearer.Owner(grains).Logout(bearer.Claims.SessionId, scope);
        security.LoggedOut(bearer.Claims.ClientId, bearer.Claims.ShopId, bearer.Claims.Subject, bearer.Claims.SessionId, scope, customer);
        return TypedResults.NoContent();
    }
}
