using System.Net;
using System.Text;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Http;

/// <summary>
/// Response hygiene and inputs stored for later display: <c>nosniff</c> on every response, an OpenAPI document
/// that does not echo the request's Host, reset links only to configured origins, clean stored user agents.
/// </summary>
public sealed class HardeningTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    public static TheoryData<string, string, string?> Responses => new()
    {
        { "GET", "/.well-known/jwks.json", null },
        { "GET", "/health/ready", null },
        { "GET", "/no-such-path", null },
        { "POST", "/v1/auth/login", "{}" },
        { "POST", "/v1/auth/register", "{\"first_name\":" },
        { "GET", "/v1/oauth/token/validate", null },
        { "POST", "/v1/oauth/token", "grant_type=password" },
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public async Task AnyResponse_CarriesNosniff(string method, string path, string? body)
    {
        HttpRequestMessage Request() => new(new HttpMethod(method), path)
        {
            Content = body is null ? null : new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "application/x-www-form-urlencoded"),
        };

        using var first = Request();
        using var unauthenticated = await _factory.CreateClient().SendAsync(first);
        using var second = Request();
        using var authenticated = await _factory.ClientFor().SendAsync(second);

        Assert.Equal("nosniff", Assert.Single(unauthenticated.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("nosniff", Assert.Single(authenticated.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task OpenApi_HostileHostHeader_IsNotEchoedAsServer()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "attacker.example";

        using var response = await _factory.CreateClient().SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("attacker.example", text, StringComparison.OrdinalIgnoreCase);
        // The only server is the configured issuer (Redocly requires one), never the request's host.
        var server = Assert.Single((await response.JsonAsync()).GetProperty("servers").EnumerateArray());
        Assert.Equal(_factory.Settings.GetValueOrDefault("Auth:Issuer") ?? "http://localhost:5080", server.GetProperty("url").GetString());
    }

    [Fact]
    public async Task OpenApi_DisabledBySetting_IsNotServed()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["OpenApi:Enabled"] = "false" });

        using var response = await factory.CreateClient().GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task SessionList_UserAgentWithControlCharacters_IsStoredWithoutThem()
    {
        var http = _factory.ClientFor();
        http.DefaultRequestHeaders.TryAddWithoutValidation("X-Customer-User-Agent", "Mozilla/5.0\u0001 (X11;\t Linux)\u001b[31m red\u007f\u0085!");
        var tokens = await http.RegisteredAsync();

        var sessions = await (await _factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/tokens")).JsonAsync();

        Assert.Equal("Mozilla/5.0 (X11; Linux)[31m red!", sessions[0].GetProperty("user_agent").GetString());
    }

    [Theory]
    [InlineData("::ffff:198.51.100.3", "198.51.100.3")]
    [InlineData("2001:DB8::1", "2001:db8::1")]
    [InlineData("not-an-ip", null)]
    public async Task SessionList_ForwardedCustomerIp_IsStoredNormalized(string forwarded, string? shown)
    {
        var http = _factory.ClientFor();
        http.DefaultRequestHeaders.Add("X-Customer-IP", forwarded);
        var tokens = await http.RegisteredAsync();

        var sessions = await (await _factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/tokens")).JsonAsync();

        // A value that is not an address is ignored: the session shows the connection's address (none in a TestServer).
        var ip = sessions[0].GetProperty("ip");
        Assert.Equal(shown, ip.ValueKind == System.Text.Json.JsonValueKind.Null ? null : ip.GetString());
    }

    [Fact]
    public async Task SendResetEmail_ClientWithoutResetUrlOrigins_GetsInvalidResetUrl()
    {
        // A third client with no ResetUrlOrigins: the service starts, and the client can do everything but send reset links.
        await using var factory = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Auth:Clients:2:ClientId"] = "no-reset-links",
            ["Auth:Clients:2:Secret"] = "no-reset-links-secret-0123456789-abc",
            ["Auth:Clients:2:ShopIds:0"] = "7",
        });
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic("no-reset-links", "no-reset-links-secret-0123456789-abc");
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email, shopId: 7);

        using var https = await http.SendResetEmailAsync(email, "https://shop.example/reset?token={hash}", 7);
        using var localhost = await http.SendResetEmailAsync(email, "http://localhost:3000/reset/{hash}", 7);

        await https.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_reset_url");
        await localhost.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_reset_url");
    }
}
