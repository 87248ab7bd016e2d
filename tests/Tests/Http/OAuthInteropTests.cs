using System.Net;
using System.Net.Http.Json;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Http;

/// <summary>
/// What stock OAuth clients rely on: RFC 6749 §5.2 errors as <c>application/json</c> on the OAuth endpoints,
/// RFC 7009 revocation, discovery of every signing algorithm and of the revocation endpoint, and the two places
/// where a client written from the seed's documentation differs (POST on update-by-hash, a JSON 202 body).
/// </summary>
public sealed class OAuthInteropTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    public static TheoryData<string, string> OAuthErrorRequests => new()
    {
        { "/v1/oauth/token", "grant_type=refresh_token&refresh_token=not-a-token" },
        { "/v1/oauth/token", "grant_type=password" },
        { "/v1/oauth/token", "grant_type=refresh_token" },
        { "/v1/oauth/introspect", "" },
        { "/v1/oauth/revoke", "" },
    };

    [Theory]
    [MemberData(nameof(OAuthErrorRequests))]
    public async Task OAuthEndpoint_Error_IsPlainJsonWithTheContractsMembers(string path, string form)
    {
        using var response = await _factory.ClientFor().PostAsync(path, Form(form));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.JsonAsync();
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error").GetString()));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error_description").GetString()));
    }

    [Theory]
    [InlineData("/v1/oauth/token")]
    [InlineData("/v1/oauth/introspect")]
    [InlineData("/v1/oauth/revoke")]
    public async Task OAuthEndpoint_WrongClientSecret_IsPlainJsonInvalidClient(string path)
    {
        using var response = await _factory.ClientFor(secret: "wrong-secret-0123456789").PostAsync(path, Form("token=x&grant_type=refresh_token&refresh_token=x"));

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task OtherEndpoint_Error_StaysProblemJson()
    {
        using var response = await _factory.ClientFor().LoginAsync(TestApi.UniqueEmail("nobody"), "wrong-password-123");

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Revoke_RefreshToken_EndsTheSessionAtOnce()
    {
        var http = _factory.ClientFor();
        var tokens = await http.RegisteredAsync();

        using var revoke = await http.PostAsync("/v1/oauth/revoke", Form($"token={tokens.RefreshToken}&token_type_hint=refresh_token"));

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal("{}", await revoke.Content.ReadAsStringAsync());
        await AssertRevokedAsync(http, tokens);
    }

    [Fact]
    public async Task Revoke_AccessTokenAsJson_EndsTheSessionAtOnce()
    {
        var http = _factory.ClientFor();
        var tokens = await http.RegisteredAsync();

        using var revoke = await http.PostAsJsonAsync("/v1/oauth/revoke", new { token = tokens.AccessToken });

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        await AssertRevokedAsync(http, tokens);
    }

    [Fact]
    public async Task Revoke_GuestSession_IsRemovedFromTheGuestsSessionList()
    {
        var http = _factory.ClientFor();
        using var guest = await http.GuestAsync(TestApi.UniqueEmail("guest"));
        var tokens = await guest.TokensAsync();
        var second = await (await http.RefreshAsync(tokens.RefreshToken)).TokensAsync();

        (await http.PostAsync("/v1/oauth/revoke", Form($"token={second.RefreshToken}"))).Dispose();

        await AssertRevokedAsync(http, second);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.e30.c2ln")]
    public async Task Revoke_UnknownToken_Returns200(string token)
    {
        using var response = await _factory.ClientFor().PostAsync("/v1/oauth/revoke", Form($"token={Uri.EscapeDataString(token)}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Revoke_TokenOfAnotherClientsShop_Returns200AndChangesNothing()
    {
        var owner = _factory.ClientFor();
        var tokens = await owner.RegisteredAsync();

        using var response = await _factory.ClientFor(AuthApiFactory.ClientB).PostAsync("/v1/oauth/revoke", Form($"token={tokens.RefreshToken}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var validate = await _factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");
        Assert.Equal(HttpStatusCode.OK, validate.StatusCode);
        using var refresh = await owner.RefreshAsync(tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }

    [Fact]
    public async Task Revoke_WithoutClientAuthentication_Returns401InvalidClient()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var response = await _factory.CreateClient().PostAsync("/v1/oauth/revoke", Form($"token={tokens.RefreshToken}"));

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        using var validate = await _factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");
        Assert.Equal(HttpStatusCode.OK, validate.StatusCode);
    }

    [Fact]
    public async Task Discovery_AdvertisesRevocationEndpointAndEveryAlgorithmInTheJwks()
    {
        var http = _factory.CreateClient();
        var discovery = await (await http.GetAsync("/.well-known/openid-configuration")).JsonAsync();
        var jwks = await (await http.GetAsync("/.well-known/jwks.json")).JsonAsync();

        Assert.Equal("http://localhost:5080/v1/oauth/revoke", discovery.GetProperty("revocation_endpoint").GetString());
        var advertised = discovery.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()).Order();
        var published = jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("alg").GetString()).Distinct().Order();
        Assert.Equal(published, advertised);
    }

    [Fact]
    public async Task UpdateByHash_Post_IsAcceptedLikePut()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await _factory.RequestHashAsync(http, email);

        using var response = await http.PostAsJsonAsync("/v1/auth/password/update-by-hash", new { shop_id = AuthApiFactory.ShopA, hash, password = "amber-lantern-quietly-17" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var login = await http.LoginAsync(email, "amber-lantern-quietly-17");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    private async Task AssertRevokedAsync(HttpClient http, TokenResponseDto tokens)
    {
        using var validate = await _factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");
        await validate.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
        using var refresh = await http.RefreshAsync(tokens.RefreshToken);
        await refresh.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    private static FormUrlEncodedContent Form(string form) =>
        new(form.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(p => KeyValuePair.Create(p[0], Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))));
}
