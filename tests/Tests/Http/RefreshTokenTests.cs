using System.Net;
using System.Net.Http.Json;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Http;

public sealed class RefreshTokenTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    [Fact]
    public async Task Refresh_CurrentToken_RotatesAndKeepsSession()
    {
        var http = _factory.ClientFor();
        var first = await http.RegisteredAsync();

        using var response = await http.RefreshAsync(first.RefreshToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var second = await response.TokensAsync();
        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.Equal(Sid(first), Sid(second));
        Assert.True(second.RefreshExpiresIn <= first.RefreshExpiresIn, "rotation never extends the session");
        using var next = await http.RefreshAsync(second.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Refresh_RetiredTokenWithinGrace_ReturnsSameSuccessor()
    {
        var http = _factory.ClientFor();
        var first = await http.RegisteredAsync();

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => http.RefreshAsync(first.RefreshToken)));

        Assert.All(concurrent, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var successors = await Task.WhenAll(concurrent.Select(r => r.TokensAsync()));
        Assert.Single(successors.Select(s => s.RefreshToken).Distinct());
        using var validate = await _factory.BearerClient(successors[^1].AccessToken).GetAsync("/v1/oauth/token/validate");
        Assert.Equal(HttpStatusCode.OK, validate.StatusCode);
    }

    [Fact]
    public async Task Refresh_JsonBodyAndClientSecretPost_AreAccepted()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();
        var anonymous = _factory.CreateClient();

        using var response = await anonymous.PostAsJsonAsync("/v1/oauth/token", new
        {
            grant_type = "refresh_token",
            refresh_token = tokens.RefreshToken,
            client_id = AuthApiFactory.ClientA,
            client_secret = AuthApiFactory.SecretA,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Refresh_TokenOfAnotherClient_ReturnsInvalidGrantAndKeepsSession()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var foreign = await _factory.ClientFor(AuthApiFactory.ClientB).RefreshAsync(tokens.RefreshToken);
        using var own = await _factory.ClientFor().RefreshAsync(tokens.RefreshToken);

        await foreign.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Refresh_UnknownToken_ReturnsInvalidGrant(string token)
    {
        using var response = await _factory.ClientFor().RefreshAsync(token);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Refresh_OtherGrantType_ReturnsUnsupportedGrantType()
    {
        using var response = await _factory.ClientFor().PostAsync("/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = "a@example.com",
            ["password"] = "whatever-password",
        }));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task Refresh_MissingRefreshToken_ReturnsValidationError()
    {
        using var response = await _factory.ClientFor().PostAsync("/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
        }));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.True(error.GetProperty("errors").TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task Refresh_WithoutClientAuthentication_ReturnsInvalidClient()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var response = await _factory.CreateClient().RefreshAsync(tokens.RefreshToken);

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal("Basic realm=\"AuthCluster\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Refresh_AfterLogout_ReturnsInvalidGrant()
    {
        var http = _factory.ClientFor();
        var tokens = await http.RegisteredAsync();
        (await _factory.BearerClient(tokens.AccessToken).PostAsync("/v1/auth/logout", null)).EnsureSuccessStatusCode();

        using var response = await http.RefreshAsync(tokens.RefreshToken);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    private static string Sid(TokenResponseDto tokens) => new JsonWebToken(tokens.AccessToken).GetPayloadValue<string>("sid");
}

/// <summary>Reuse detection needs the grace window to pass: a fake clock moves past it without waiting.</summary>
public sealed class RefreshReuseTests
{
    [Fact]
    public async Task Refresh_RetiredTokenAfterGrace_RevokesWholeFamily()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Tokens:RefreshReuseGrace"] = "00:00:01" }, time);
        var http = factory.ClientFor();
        var first = await http.RegisteredAsync();
        using var rotated = await http.RefreshAsync(first.RefreshToken);
        var second = await rotated.TokensAsync();
        time.Advance(TimeSpan.FromMilliseconds(1300));

        using var reuse = await http.RefreshAsync(first.RefreshToken);
        using var successor = await http.RefreshAsync(second.RefreshToken);
        using var validate = await factory.BearerClient(second.AccessToken).GetAsync("/v1/oauth/token/validate");

        await reuse.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        await successor.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        await validate.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Refresh_GraceDisabled_RetiredTokenIsReuseAtOnce()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Tokens:RefreshReuseGrace"] = "00:00:00" });
        var http = factory.ClientFor();
        var first = await http.RegisteredAsync();
        (await http.RefreshAsync(first.RefreshToken)).EnsureSuccessStatusCode();

        using var reuse = await http.RefreshAsync(first.RefreshToken);

        await reuse.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }
}
