using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Http;

/// <summary>Every kind of bad input gets the contract's error — never a 500, a stack trace or an echoed secret.</summary>
public sealed class ErrorContractTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    public static TheoryData<string, string> InvalidRegistrations => new()
    {
        { """{"first_name":"A","last_name":"B","email":"a@example.com","password":"violet-staple-orbit-42","shop_id":"1"}""", "shop_id" },
        { """{"first_name":"A","last_name":"B","email":"a@example.com","password":"violet-staple-orbit-42","shop_id":1.5}""", "shop_id" },
        { """{"first_name":"A","last_name":"B","email":"a@example.com","password":"violet-staple-orbit-42"}""", "shop_id" },
        { """{"first_name":"A","last_name":"B","email":"not-an-email","password":"violet-staple-orbit-42","shop_id":1}""", "email" },
        { """{"first_name":"A","last_name":"B","password":"violet-staple-orbit-42","shop_id":1}""", "email" },
        { """{"first_name":"A","last_name":"B","email":"a@example.com","password":"short","shop_id":1}""", "password" },
        { """{"first_name":"A","last_name":"B","email":"a@example.com","password":"Password123","shop_id":1}""", "password" },
        { """{"first_name":"A","last_name":"B","email":"a@example.com","password":12345678,"shop_id":1}""", "password" },
        { """{"last_name":"B","email":"a@example.com","password":"violet-staple-orbit-42","shop_id":1}""", "first_name" },
        { """{"first_name":"  ","last_name":"B","email":"a@example.com","password":"violet-staple-orbit-42","shop_id":1}""", "first_name" },
        { """{"first_name":"A","last_name":"B","email":"a@example.com","password":"violet-staple-orbit-42","gender":"x","shop_id":1}""", "gender" },
        { """{"first_name":"A","last_name":"B","email":"a@example.com","password":"violet-staple-orbit-42","shop_id":1""", "body" },
        { """[1,2,3]""", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidRegistrations))]
    public async Task Register_InvalidBody_ReturnsValidationErrorNamingTheField(string body, string field)
    {
        using var response = await _factory.ClientFor().PostAsync("/v1/auth/register", new StringContent(body, Encoding.UTF8, "application/json"));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.True(error.GetProperty("errors").TryGetProperty(field, out var messages), $"errors lacks {field}: {error}");
        Assert.NotEmpty(messages.EnumerateArray());
        Assert.DoesNotContain("violet-staple", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_PasswordOf129CodePoints_IsRejectedAnd128Accepted()
    {
        var http = _factory.ClientFor();
        var tooLong = string.Concat(Enumerable.Repeat("😀", 129));
        var longest = string.Concat(Enumerable.Repeat("😀", 128));

        using var rejected = await http.RegisterAsync(TestApi.UniqueEmail(), tooLong);
        using var accepted = await http.RegisterAsync(TestApi.UniqueEmail(), longest);

        await rejected.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    [Fact]
    public async Task Register_BodyOver16KiB_Returns413()
    {
        var body = $$"""{"first_name":"{{new string('a', 17_000)}}","last_name":"B","email":"a@example.com","password":"violet-staple-orbit-42","shop_id":1}""";

        using var response = await _factory.ClientFor().PostAsync("/v1/auth/register", new StringContent(body, Encoding.UTF8, "application/json"));

        await response.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task Register_ChunkedBodyOver16KiB_Returns413()
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(new string(' ', 20_000) + "{}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/register") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _factory.ClientFor().SendAsync(request);

        await response.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    public static TheoryData<string?> BadClientCredentials => new()
    {
        null,
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("shop-a:wrong-secret")),
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("nobody:" + AuthApiFactory.SecretA)),
        "Basic not-base64!!",
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("no-colon")),
        "Bearer abc",
        "Basic",
    };

    [Theory]
    [MemberData(nameof(BadClientCredentials))]
    public async Task Login_BadClientCredentials_ReturnsInvalidClient(string? authorization)
    {
        var http = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/login")
        {
            Content = JsonContent.Create(new { email = "a@example.com", password = "whatever-password", shop_id = 1 }),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request);

        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal("Basic realm=\"AuthCluster\"", response.Headers.WwwAuthenticate.ToString());
        Assert.DoesNotContain("secret", error.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Login_FormEncodedBasicCredentials_AreDecoded()
    {
        // RFC 6749 §2.3.1: id and secret are form-url-encoded before base64.
        var http = _factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("shop%2Da:" + AuthApiFactory.SecretA)));

        using var response = await http.LoginAsync(TestApi.UniqueEmail("nobody"));

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    public static TheoryData<string?> BadBearerTokens => new()
    {
        null,
        "Bearer",
        "Bearer not.a.jwt",
        "Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiIxIn0.",
        // HS256 token "signed" with an arbitrary key: algorithm confusion must fail.
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIxIiwiaXNzIjoiaHR0cDovL2xvY2FsaG9zdDo1MDgwIiwiYXVkIjoiY2hlY2tvdXQifQ.c2lnbmF0dXJl",
        "Basic c2hvcC1hOnNob3AtYS1zZWNyZXQtMDEyMzQ1Njc4OQ==",
    };

    [Theory]
    [MemberData(nameof(BadBearerTokens))]
    public async Task Validate_BadBearer_ReturnsInvalidToken(string? authorization)
    {
        var http = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/oauth/token/validate");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request);

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Validate_TamperedPayload_ReturnsInvalidToken()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();
        var parts = tokens.AccessToken.Split('.');
        var payload = Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"shop_id\":1", "\"shop_id\":3", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload)}.{parts[2]}";

        using var response = await _factory.BearerClient(forged).GetAsync("/v1/oauth/token/validate");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Validate_TokenFromOtherIssuerConfiguration_ReturnsInvalidToken()
    {
        await using var other = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Audience"] = "somewhere-else" });
        var foreign = await other.ClientFor().RegisteredAsync();

        using var response = await _factory.BearerClient(foreign.AccessToken).GetAsync("/v1/oauth/token/validate");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Token_RepeatedFormParameter_ReturnsValidationError()
    {
        using var response = await _factory.ClientFor().PostAsync("/v1/oauth/token", new StringContent(
            "grant_type=refresh_token&refresh_token=a&refresh_token=b", Encoding.UTF8, "application/x-www-form-urlencoded"));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
    }

    [Fact]
    public async Task Login_EmptyBody_ReturnsValidationError()
    {
        using var response = await _factory.ClientFor().PostAsync("/v1/auth/login", new StringContent("", Encoding.UTF8, "application/json"));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.True(error.GetProperty("errors").TryGetProperty("email", out _));
    }
}
