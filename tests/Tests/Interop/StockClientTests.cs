using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using AuthCluster.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Interop;

/// <summary>
/// Stock clients, unchanged, against the API running as a real process: what a shop's engineers would plug in.
/// The Node scripts live in <c>tests/interop</c> and print one line per step.
/// </summary>
[ProcessLevel]
public sealed class StockClientTests(InteropFixture api) : IClassFixture<InteropFixture>
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(2);

    [SkippableFact]
    public async Task OpenIdClient_DiscoveryRefreshIntrospectRevoke_WorkAndBadRefreshIsInvalidGrant()
    {
        Skip.If(api.NodeSkipReason is not null, api.NodeSkipReason);

        var result = await api.RunScriptAsync("openid-client.mjs", ScriptTimeout);

        AssertSucceeded(result, "discovery", "refresh", "refresh with an unknown token surfaces invalid_grant", "introspection", "revocation", "refresh with the revoked token surfaces invalid_grant");
    }

    [SkippableFact]
    public async Task Jose_WithOnlyTheDiscoveryDocument_VerifiesOurAccessToken()
    {
        Skip.If(api.NodeSkipReason is not null, api.NodeSkipReason);

        var result = await api.RunScriptAsync("jose.mjs", ScriptTimeout);

        AssertSucceeded(result, "discovery", "verify the access token", "reject a token with a forged signature", "reject a token for another audience");
    }

    [SkippableFact]
    public async Task GeneratedClient_FromTheOpenApiDocument_CompilesAndRegistersRefreshesLogsOut()
    {
        Skip.If(api.NodeSkipReason is not null, api.NodeSkipReason);

        var result = await api.RunScriptAsync("generated-client.mjs", ScriptTimeout);

        AssertSucceeded(result, "generate", "compile", "register, refresh, logout");
    }

    [SkippableFact]
    public async Task OpenApiDocument_RedoclyRecommendedRules_NoErrors()
    {
        Skip.If(api.NodeSkipReason is not null, api.NodeSkipReason);

        var result = await api.RunScriptAsync("lint.mjs", ScriptTimeout);

        AssertSucceeded(result, "lint with the recommended rules");
        Assert.Contains(" 0 errors,", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JwtBearer_WithAuthorityAndAudience_AcceptsTokenAndRejectsItOnceRevoked()
    {
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        http.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic(InteropFixture.ClientId, InteropFixture.ClientSecret);
        using var registered = await http.PostAsJsonAsync("/v1/auth/register", new
        {
            first_name = "Jwt",
            last_name = "Bearer",
            email = TestApi.UniqueEmail("jwtbearer"),
            password = "a long interop passphrase",
            shop_id = InteropFixture.ShopId,
        });
        var accessToken = (await registered.JsonAsync()).GetProperty("access_token").GetString()!;
        await using var checkout = await StartCheckoutAsync(api.Issuer);

        using var accepted = await WhoAmIAsync(checkout, accessToken);
        using var revoke = await http.PostAsync("/v1/oauth/revoke", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = accessToken }));
        using var rejected = await WhoAmIAsync(checkout, accessToken);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(new JsonWebToken(accessToken).Subject, await accepted.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
    }

    /// <summary>
    /// A shop's checkout: stock JwtBearer given our issuer as <c>Authority</c> and the audience, nothing else (plain
    /// http is allowed because the test API listens on loopback without TLS). Signatures prove a token was issued;
    /// only the API knows whether its session has since been revoked, so the checkout asks <c>validate</c> too.
    /// </summary>
    private static async Task<WebApplication> StartCheckoutAsync(string authority)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpClient("auth", c => c.BaseAddress = new Uri(authority));
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.Authority = authority;
            o.Audience = "checkout";
            o.RequireHttpsMetadata = false;
            o.Events = new JwtBearerEvents { OnTokenValidated = RejectRevokedAsync };
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", (ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier)).RequireAuthorization();
        await app.StartAsync();
        return app;
    }

    private static async Task RejectRevokedAsync(TokenValidatedContext context)
    {
        var http = context.HttpContext.RequestServices.GetRequiredService<IHttpClientFactory>().CreateClient("auth");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/oauth/token/validate");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ((JsonWebToken)context.SecurityToken).EncodedToken);
        using var response = await http.SendAsync(request, context.HttpContext.RequestAborted);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            context.Fail("The session of this token was revoked.");
        }
    }

    private static async Task<HttpResponseMessage> WhoAmIAsync(WebApplication checkout, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await checkout.GetTestClient().SendAsync(request);
    }

    private void AssertSucceeded(ToolResult result, params string[] steps)
    {
        var context = $"{result.Output}\n{api.ApiLog()}";
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{context}");
        foreach (var step in steps)
        {
            Assert.True(result.Output.Contains($"ok {step}\n", StringComparison.Ordinal), $"step '{step}' did not pass:\n{context}");
        }
    }
}
