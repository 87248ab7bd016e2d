using System.Net;
using System.Net.Http.Json;
using AuthCluster.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Http;

public sealed class SessionTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    [Fact]
    public async Task Validate_ActiveToken_ReturnsContractFields()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();
        var jwt = new JsonWebToken(tokens.AccessToken);

        using var response = await _factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.JsonAsync();
        Assert.True(json.GetProperty("active").GetBoolean());
        Assert.Equal(jwt.Subject, json.GetProperty("sub").GetString());
        Assert.Equal(jwt.GetPayloadValue<string>("sid"), json.GetProperty("sid").GetString());
        Assert.Equal(AuthApiFactory.ClientA, json.GetProperty("client_id").GetString());
        Assert.Equal(AuthApiFactory.ShopA, json.GetProperty("shop_id").GetInt64());
        Assert.Equal("registered", json.GetProperty("customer_type").GetString());
        Assert.Equal(jwt.GetPayloadValue<long>("exp"), json.GetProperty("exp").GetInt64());
        Assert.Equal(jwt.GetPayloadValue<long>("iat"), json.GetProperty("iat").GetInt64());
    }

    [Fact]
    public async Task Logout_Local_RevokesOnlyThatSessionAtOnce()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var a = await http.RegisteredAsync(email);
        var b = await (await http.LoginAsync(email)).TokensAsync();
        await Validate(a.AccessToken, HttpStatusCode.OK); // warm the validation cache: revocation must still win

        using var logout = await _factory.BearerClient(a.AccessToken).PostAsync("/v1/auth/logout", null);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await Validate(a.AccessToken, HttpStatusCode.Unauthorized);
        await Validate(b.AccessToken, HttpStatusCode.OK);
        await (await http.RefreshAsync(a.RefreshToken)).AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Logout_Others_KeepsCurrentRevokesTheRest()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var a = await http.RegisteredAsync(email);
        var b = await (await http.LoginAsync(email)).TokensAsync();
        var c = await (await http.LoginAsync(email)).TokensAsync();

        using var logout = await _factory.BearerClient(b.AccessToken).PostAsJsonAsync("/v1/auth/logout", new { scope = "others" });

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await Validate(a.AccessToken, HttpStatusCode.Unauthorized);
        await Validate(b.AccessToken, HttpStatusCode.OK);
        await Validate(c.AccessToken, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logout_Global_RevokesEverySession()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var a = await http.RegisteredAsync(email);
        var b = await (await http.LoginAsync(email)).TokensAsync();

        using var logout = await _factory.BearerClient(a.AccessToken).PostAsJsonAsync("/v1/auth/logout", new { scope = "global" });

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await Validate(a.AccessToken, HttpStatusCode.Unauthorized);
        await Validate(b.AccessToken, HttpStatusCode.Unauthorized);
        await (await http.RefreshAsync(b.RefreshToken)).AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Logout_UnknownScope_ReturnsValidationError()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var response = await _factory.BearerClient(tokens.AccessToken).PostAsJsonAsync("/v1/auth/logout", new { scope = "everything" });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.True(error.GetProperty("errors").TryGetProperty("scope", out _));
        await Validate(tokens.AccessToken, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Logout_Guest_RevokesGuestSession()
    {
        var tokens = await (await _factory.ClientFor().GuestAsync(TestApi.UniqueEmail())).TokensAsync();

        using var logout = await _factory.BearerClient(tokens.AccessToken).PostAsync("/v1/auth/logout", null);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await Validate(tokens.AccessToken, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ListSessions_TwoLogins_ListsBothWithCustomerContext()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var a = await http.RegisteredAsync(email);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/login")
        {
            Content = JsonContent.Create(new { email, password = TestApi.GoodPassword, shop_id = AuthApiFactory.ShopA }),
        };
        request.Headers.Add("X-Customer-IP", "203.0.113.7");
        request.Headers.Add("X-Customer-User-Agent", "Firefox/140");
        var b = await (await http.SendAsync(request)).TokensAsync();

        using var response = await _factory.BearerClient(b.AccessToken).GetAsync("/v1/oauth/tokens");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sessions = (await response.JsonAsync()).EnumerateArray().ToList();
        Assert.Equal(2, sessions.Count);
        var current = Assert.Single(sessions, s => s.GetProperty("current").GetBoolean());
        Assert.Equal(new JsonWebToken(b.AccessToken).GetPayloadValue<string>("sid"), current.GetProperty("id").GetString());
        Assert.Equal("203.0.113.7", current.GetProperty("ip").GetString());
        Assert.Equal("Firefox/140", current.GetProperty("user_agent").GetString());
        foreach (var field in new[] { "created_at", "updated_at", "expires_at" })
        {
            Assert.EndsWith("Z", current.GetProperty(field).GetString(), StringComparison.Ordinal);
        }

        Assert.Contains(sessions, s => s.GetProperty("id").GetString() == new JsonWebToken(a.AccessToken).GetPayloadValue<string>("sid"));
    }

    [Fact]
    public async Task DeleteSession_OwnOtherSession_RevokesIt()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var a = await http.RegisteredAsync(email);
        var b = await (await http.LoginAsync(email)).TokensAsync();
        var sidA = new JsonWebToken(a.AccessToken).GetPayloadValue<string>("sid");

        using var response = await _factory.BearerClient(b.AccessToken).DeleteAsync($"/v1/oauth/tokens/{sidA}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await Validate(a.AccessToken, HttpStatusCode.Unauthorized);
        var listed = (await (await _factory.BearerClient(b.AccessToken).GetAsync("/v1/oauth/tokens")).JsonAsync()).EnumerateArray();
        Assert.DoesNotContain(listed, s => s.GetProperty("id").GetString() == sidA);
    }

    [Theory]
    [InlineData("other-customer")]
    [InlineData("not-a-guid")]
    [InlineData("random-guid")]
    public async Task DeleteSession_NotOwnSession_Returns404(string kind)
    {
        var http = _factory.ClientFor();
        var mine = await http.RegisteredAsync();
        var theirs = await http.RegisteredAsync();
        var id = kind switch
        {
            "other-customer" => new JsonWebToken(theirs.AccessToken).GetPayloadValue<string>("sid"),
            "random-guid" => Guid.NewGuid().ToString(),
            _ => "not-a-guid",
        };

        using var response = await _factory.BearerClient(mine.AccessToken).DeleteAsync($"/v1/oauth/tokens/{id}");

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        await Validate(theirs.AccessToken, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Introspect_AccessAndRefreshTokens_ReturnClaimsThenInactiveAfterLogout()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();
        var http = _factory.ClientFor();

        var access = await (await http.PostAsync("/v1/oauth/introspect", Form(tokens.AccessToken))).JsonAsync();
        var refresh = await (await http.PostAsJsonAsync("/v1/oauth/introspect", new { token = tokens.RefreshToken })).JsonAsync();
        (await _factory.BearerClient(tokens.AccessToken).PostAsync("/v1/auth/logout", null)).EnsureSuccessStatusCode();
        var afterLogout = await (await http.PostAsync("/v1/oauth/introspect", Form(tokens.AccessToken))).JsonAsync();

        Assert.True(access.GetProperty("active").GetBoolean());
        foreach (var claim in new[] { "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "client_id", "shop_id", "customer_type" })
        {
            Assert.True(access.TryGetProperty(claim, out _), $"introspection lacks {claim}");
        }

        Assert.True(refresh.GetProperty("active").GetBoolean());
        Assert.Equal(access.GetProperty("sid").GetString(), refresh.GetProperty("sid").GetString());
        Assert.Equal("registered", refresh.GetProperty("customer_type").GetString());
        Assert.False(afterLogout.GetProperty("active").GetBoolean());
        Assert.Single(afterLogout.EnumerateObject());
    }

    [Fact]
    public async Task Introspect_TokenOfShopNotAllowedForCaller_IsInactive()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        var json = await (await _factory.ClientFor(AuthApiFactory.ClientB).PostAsync("/v1/oauth/introspect", Form(tokens.AccessToken))).JsonAsync();

        Assert.False(json.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Introspect_Garbage_IsInactive()
    {
        var json = await (await _factory.ClientFor().PostAsync("/v1/oauth/introspect", Form("not-a-token"))).JsonAsync();

        Assert.False(json.GetProperty("active").GetBoolean());
    }

    private static FormUrlEncodedContent Form(string token) => new(new Dictionary<string, string> { ["token"] = token });

    private async Task Validate(string accessToken, HttpStatusCode expected)
    {
        using var response = await _factory.BearerClient(accessToken).GetAsync("/v1/oauth/token/validate");
        Assert.Equal(expected, response.StatusCode);
    }
}
