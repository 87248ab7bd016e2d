using System.Net;
using System.Security.Claims;
using AuthCluster.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AuthCluster.Tests.Http;

public sealed class DiscoveryTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    [Fact]
    public async Task Jwks_PublishesPublicKeysOnly()
    {
        using var response = await _factory.CreateClient().GetAsync("/.well-known/jwks.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl!.Public);
        Assert.True(response.Headers.CacheControl.MaxAge > TimeSpan.Zero);
        var key = Assert.Single((await response.JsonAsync()).GetProperty("keys").EnumerateArray());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.False(string.IsNullOrEmpty(key.GetProperty("kid").GetString()));
        Assert.False(key.TryGetProperty("d", out _), "a private key parameter was published");
    }

    [Theory]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/.well-known/oauth-authorization-server")]
    public async Task Discovery_Documents_DescribeEndpointsAndAlgorithm(string path)
    {
        var json = await (await _factory.CreateClient().GetAsync(path)).JsonAsync();

        Assert.Equal("http://localhost:5080", json.GetProperty("issuer").GetString());
        Assert.Equal("http://localhost:5080/.well-known/jwks.json", json.GetProperty("jwks_uri").GetString());
        Assert.Equal("http://localhost:5080/v1/oauth/token", json.GetProperty("token_endpoint").GetString());
        Assert.Equal("http://localhost:5080/v1/oauth/introspect", json.GetProperty("introspection_endpoint").GetString());
        Assert.Equal(["refresh_token"], json.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["client_secret_basic", "client_secret_post"], json.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["ES256"], json.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task StockJwtBearer_WithOnlyTheAuthority_AcceptsOurAccessToken()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();
        await using var checkout = await StartCheckoutAsync(_factory.Server.CreateHandler());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Authorization = new("Bearer", tokens.AccessToken);
        using var accepted = await checkout.GetTestClient().SendAsync(request);
        using var anonymous = await checkout.GetTestClient().GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(tokens.AccessToken).Subject, await accepted.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Theory]
    [InlineData("PS256", "RSA")]
    [InlineData("RS256", "RSA")]
    public async Task Signing_ConfiguredRsaAlgorithm_IsUsedAndStockValidatorAccepts(string algorithm, string keyType)
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Signing:Algorithm"] = algorithm });
        var tokens = await factory.ClientFor().RegisteredAsync();
        await using var checkout = await StartCheckoutAsync(factory.Server.CreateHandler());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Authorization = new("Bearer", tokens.AccessToken);
        using var accepted = await checkout.GetTestClient().SendAsync(request);
        var key = Assert.Single((await (await factory.CreateClient().GetAsync("/.well-known/jwks.json")).JsonAsync()).GetProperty("keys").EnumerateArray());

        Assert.Equal(algorithm, new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(tokens.AccessToken).Alg);
        Assert.Equal(keyType, key.GetProperty("kty").GetString());
        Assert.False(key.TryGetProperty("d", out _));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    /// <summary>A shop's checkout service: stock JwtBearer configured with nothing but our issuer URL.</summary>
    private static async Task<WebApplication> StartCheckoutAsync(HttpMessageHandler backchannel)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.Authority = "http://localhost:5080";
            o.Audience = "checkout";
            o.RequireHttpsMetadata = false;
            o.BackchannelHttpHandler = backchannel;
            o.MapInboundClaims = false;
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", (ClaimsPrincipal user) => user.FindFirst("sub")!.Value).RequireAuthorization();
        await app.StartAsync();
        return app;
    }
}

public sealed class OperationsTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_RunningNode_Returns200(string path)
    {
        using var response = await _factory.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApi_Document_ListsEveryEndpoint()
    {
        var json = await (await _factory.CreateClient().GetAsync("/openapi/v1.json")).JsonAsync();

        var paths = json.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var path in new[] { "/v1/auth/register", "/v1/auth/login", "/v1/auth/login/guest", "/v1/auth/logout", "/v1/oauth/token", "/v1/oauth/token/validate", "/v1/oauth/tokens", "/v1/oauth/tokens/{id}", "/v1/oauth/introspect", "/.well-known/jwks.json" })
        {
            Assert.Contains(path, paths);
        }
    }
}
