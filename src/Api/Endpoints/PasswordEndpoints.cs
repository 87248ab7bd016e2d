using AuthCluster.Api.Clients;
using AuthCluster.Api.Hosting;
using AuthCluster.Api.Http;
using AuthCluster.Api.OpenApi;
using AuthCluster.Api.Tokens;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthCluster.Api.Endpoints;

/// <summary>Password reset by emailed hash (<c>/v1/auth/password</c>).</summary>
public static class PasswordEndpoints
{
    public static RouteGroupBuilder MapPasswordEndpoints(this RouteGroupBuilder v1)
    {
        var password = v1.MapGroup("/auth/password").WithTags("Authentication");
        password.MapPost("/send-reset-email", SendResetEmail).RequireRateLimiting(RateLimits.PasswordResetIp)
            .WithName("SendResetEmail").WithSummary("Email a password-reset link")
            .WithDescription("Mails the customer `reset_url` with `{hash}` replaced by a single-use secret. Answers `202` with the same body for every well-formed request, whether or not the account exists.")
            .ProducesErrors(ApiErrors.ShopNotAllowed(), ApiErrors.InvalidResetUrl());
        // PUT is the contract's verb; POST too, for clients written from documentation that used it. Two
        // endpoints rather than one with two verbs, so that each operation has its own operation id.
        const string updateByHash = "Sets the new password, consumes the hash and revokes every earlier session of the customer; answers `200` with tokens for a new session.";
        password.MapPut("/update-by-hash", UpdateByHash).RequireRateLimiting(RateLimits.CustomerIp)
            .WithName("UpdatePasswordByHash").WithSummary("Set a new password with a reset hash")
            .WithDescription(updateByHash)
            .ProducesErrors(ApiErrors.ShopNotAllowed(), ApiErrors.InvalidHash());
        password.MapPost("/update-by-hash", UpdateByHash).RequireRateLimiting(RateLimits.CustomerIp)
            .WithName("UpdatePasswordByHashPost").WithSummary("Set a new password with a reset hash (POST)")
            .WithDescription(updateByHash + " The same as `PUT`, for clients that send `POST`.")
            .ProducesErrors(ApiErrors.ShopNotAllowed(), ApiErrors.InvalidHash());
        return v1;
    }

    /// <summary>
    /// Answers 202 for every well-formed request, before and regardless of delivery: the email index does the
    /// same work whether or not an account exists and hands the email on without waiting for it.
    /// </summary>
    public static async Task<Results<Accepted<ResetEmailAccepted>, ApiError>> SendResetEmail(
        ApiClient client, SendResetEmailRequest request, IGrainFactory grains, AuthMetrics metrics)
    {
        var (email, shopId, resetUrl) = request;
        client.EnsureShop(shopId);
        if (!ResetUrlPolicy.IsAllowed(resetUrl, client.ResetUrlOrigins))
        {
            return ApiErrors.InvalidResetUrl();
        }

        await grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(shopId, email))
            .RequestPasswordReset(new PasswordResetRequest(resetUrl, client.ClientId));
        metrics.PasswordResetRequested();
        return TypedResults.Accepted((string?)null, ResetEmailAccepted.Instance);
    }

    /// <summary>
    /// Validates the new password before the hash is looked at, so a rejected password leaves the hash usable.
    /// </summary>
    public static async Task<Results<Ok<TokenResponse>, ApiError>> UpdateByHash(
        ApiClient client, UpdateByHashRequest request, CustomerContext customer, IGrainFactory grains, AccessTokenIssuer tokens, AuthMetrics metrics)
    {
        var (shopId, hash, password) = request;
        client.EnsureShop(shopId);

        var result = ResetHashes.TryGetKey(hash, out var key)
            ? await grains.GetGrain<IPasswordResetGrain>(key).Complete(shopId, password, client.For(customer))
            : PasswordResetResult.InvalidHash;

        // Only the grain knows the customer's names: its verdict on them is a validation error like the API's own.
        if (result.Outcome == PasswordResetOutcome.PasswordRejected)
        {
            return ApiErrors.Validation("password", result.Problem ?? "Is not acceptable.");
        }

        metrics.PasswordResetCompleted(result.Outcome);
        return result.Grant is { } grant
            ? TypedResults.Ok(await tokens.IssueAsync(grant))
            : ApiErrors.InvalidHash();
    }
}

/// <summary>The body of send-reset-email's 202: the same for every well-formed request, so it reveals nothing.</summary>
public sealed record ResetEmailAccepted(string Status)
{
    public static ResetEmailAccepted Instance { get; } = new("accepted");
}
