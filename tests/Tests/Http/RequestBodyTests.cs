using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Http;

/// <summary>
/// Request bodies from the outside: hostile bytes are a 400 in the contract's format on every body endpoint
/// (never a 5xx), one <c>validation_error</c> names every bad field, and OpenAPI describes every body.
/// </summary>
public sealed class RequestBodyTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    /// <summary>Every operation that takes a body, with the members its schema must name (optional ones after the bar).</summary>
    public static TheoryData<string, string, string> BodyOperations => new()
    {
        { "POST", "/v1/auth/register", "first_name last_name email password shop_id | gender" },
        { "POST", "/v1/auth/login", "email password shop_id |" },
        { "POST", "/v1/auth/login/guest", "first_name last_name email shop_id | gender" },
        { "POST", "/v1/auth/logout", "| scope" },
        { "POST", "/v1/auth/password/send-reset-email", "email shop_id reset_url |" },
        { "PUT", "/v1/auth/password/update-by-hash", "shop_id hash password |" },
        { "POST", "/v1/auth/password/update-by-hash", "shop_id hash password |" },
        { "POST", "/v1/oauth/token", "grant_type | refresh_token client_id client_secret" },
        { "POST", "/v1/oauth/introspect", "token | client_id client_secret" },
        { "POST", "/v1/oauth/revoke", "token | token_type_hint client_id client_secret" },
    };

    [Fact]
    public async Task OpenApi_EveryPostAndPut_DescribesItsRequestBodySchema()
    {
        var document = await OpenApiAsync();

        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(op => op.Name is "post" or "put")
                .Select(op => (Path: path.Name, Operation: op.Value)))
            .ToList();

        Assert.Equal(BodyOperations.Count, operations.Count);
        foreach (var (path, operation) in operations)
        {
            Assert.True(operation.TryGetProperty("requestBody", out var body), $"{path} has no requestBody");
            foreach (var media in body.GetProperty("content").EnumerateObject())
            {
                var properties = Resolve(document, media.Value.GetProperty("schema")).GetProperty("properties");
                Assert.All(properties.EnumerateObject(), p => Assert.Matches("^[a-z]+(_[a-z]+)*$", p.Name));
            }
        }
    }

    [Theory]
    [MemberData(nameof(BodyOperations))]
    public async Task OpenApi_Operation_NamesTheContractsFields(string method, string path, string fields)
    {
        var required = fields.Split('|')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var optional = fields.Split('|')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var document = await OpenApiAsync();

        var body = document.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant()).GetProperty("requestBody");
        var content = body.GetProperty("content");
        Assert.True(content.TryGetProperty("application/json", out var json), $"{path} does not accept JSON");
        var schema = Resolve(document, json.GetProperty("schema"));
        Assert.Equal(required.Concat(optional).Order(), schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
        var requiredInSchema = schema.TryGetProperty("required", out var names) ? names.EnumerateArray().Select(n => n.GetString()!) : [];
        Assert.Equal(required.Order(), requiredInSchema.Order());
        Assert.Equal(required.Length > 0, body.TryGetProperty("required", out var bodyRequired) && bodyRequired.GetBoolean());
        if (path.StartsWith("/v1/oauth/", StringComparison.Ordinal))
        {
            Assert.True(content.TryGetProperty("application/x-www-form-urlencoded", out _), $"{path} does not accept a form");
        }
    }

    private static readonly (string Method, string Path)[] BodyEndpoints =
    [
        ("POST", "/v1/auth/register"),
        ("POST", "/v1/auth/login"),
        ("POST", "/v1/auth/login/guest"),
        ("POST", "/v1/auth/password/send-reset-email"),
        ("PUT", "/v1/auth/password/update-by-hash"),
        ("POST", "/v1/auth/password/update-by-hash"),
        ("POST", "/v1/oauth/token"),
        ("POST", "/v1/oauth/introspect"),
        ("POST", "/v1/oauth/revoke"),
    ];

    public static TheoryData<string, string, byte[]> HostileBodies
    {
        get
        {
            var data = new TheoryData<string, string, byte[]>();
            var bodies = new Dictionary<string, byte[]>
            {
                ["invalid UTF-8 in a value"] = [.. "{\"email\":\""u8, 0xC3, 0x28, 0xFF, .. "@example.com\",\"token\":\""u8, 0xFE, .. "\"}"u8],
                ["invalid UTF-8 in a name"] = [.. "{\""u8, 0xFF, .. "\":\"x\"}"u8],
                ["lone high surrogate"] = Encoding.UTF8.GetBytes("""{"email":"a\ud800@example.com","token":"\ud800","grant_type":"\ud800"}"""),
                ["lone low surrogate in a name"] = Encoding.UTF8.GetBytes("""{"\udc00":"x"}"""),
                ["deep nesting"] = Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
                ["deep nesting in a member"] = Encoding.UTF8.GetBytes("{\"email\":" + new string('[', 3000) + new string(']', 3000) + "}"),
                ["truncated"] = "{\"email\":\"a@example.com\""u8.ToArray(),
                ["not an object"] = "\"just a string\""u8.ToArray(),
                ["trailing garbage"] = "{} {}"u8.ToArray(),
                ["NUL byte"] = [.. "{\"email\":\"a"u8, 0x00, .. "\"}"u8],
            };
            foreach (var (method, path) in BodyEndpoints)
            {
                foreach (var (name, bytes) in bodies)
                {
                    data.Add($"{method} {path}", name, bytes);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task Endpoint_HostileJson_Returns400ValidationError(string endpoint, string kind, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Split(' ')[0]), endpoint.Split(' ')[1]) { Content = content };

        using var response = await _factory.ClientFor().SendAsync(request);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.True(error.GetProperty("errors").EnumerateObject().Any(), $"{kind}: {error}");
    }

    public static TheoryData<string, string> WrongTypes => new()
    {
        { "POST /v1/auth/register", """{"first_name":1,"last_name":[],"email":{},"password":true,"gender":5,"shop_id":"1"}""" },
        { "POST /v1/auth/login", """{"email":1,"password":false,"shop_id":[1]}""" },
        { "POST /v1/auth/login/guest", """{"first_name":{},"last_name":2,"email":[],"gender":false,"shop_id":1e400}""" },
        { "POST /v1/auth/logout", """{"scope":7}""" },
        { "POST /v1/auth/password/send-reset-email", """{"email":2,"shop_id":"x","reset_url":{}}""" },
        { "PUT /v1/auth/password/update-by-hash", """{"shop_id":99999999999999999999,"hash":1,"password":[]}""" },
        { "POST /v1/oauth/token", """{"grant_type":1,"refresh_token":{}}""" },
        { "POST /v1/oauth/introspect", """{"token":[]}""" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task Endpoint_EveryFieldOfTheWrongType_IsNamedInOneValidationError(string endpoint, string body)
    {
        var (method, path) = (endpoint.Split(' ')[0], endpoint.Split(' ')[1]);
        var http = path == "/v1/auth/logout" ? _factory.BearerClient((await _factory.ClientFor().RegisteredAsync()).AccessToken) : _factory.ClientFor();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

        using var response = await http.SendAsync(request);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        var named = error.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order();
        Assert.Equal(JsonDocument.Parse(body).RootElement.EnumerateObject().Select(p => p.Name).Order(), named);
    }

    [Fact]
    public async Task Register_SeveralProblems_AreAllReportedWithTheirMessages()
    {
        const string body = """{"first_name":"  ","last_name":"B\u0001","email":"not-an-email","password":12345678,"gender":"x","shop_id":0}""";

        using var response = await _factory.ClientFor().PostAsync("/v1/auth/register", new StringContent(body, Encoding.UTF8, "application/json"));

        var errors = (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error")).GetProperty("errors");
        Assert.Equal(["Must not be empty."], Messages(errors, "first_name"));
        Assert.Equal(["Must not contain control characters."], Messages(errors, "last_name"));
        Assert.Equal(["Must be an email address."], Messages(errors, "email"));
        Assert.Equal(["Must be a string."], Messages(errors, "password"));
        Assert.Equal(["Must be one of m, f, d."], Messages(errors, "gender"));
        Assert.Equal(["Must be a positive integer."], Messages(errors, "shop_id"));
    }

    [Fact]
    public async Task Register_EmptyObject_ReportsEveryRequiredFieldButNoOptionalOne()
    {
        using var response = await _factory.ClientFor().PostAsync("/v1/auth/register", new StringContent("{}", Encoding.UTF8, "application/json"));

        var errors = (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error")).GetProperty("errors");
        Assert.Equal(["email", "first_name", "last_name", "password", "shop_id"], errors.EnumerateObject().Select(p => p.Name).Order());
        Assert.All(errors.EnumerateObject(), p => Assert.Equal(["Is required."], Messages(errors, p.Name)));
    }

    [Fact]
    public async Task Login_FieldNamesDifferingInCase_AreNotTheContractsFields()
    {
        using var response = await _factory.ClientFor().PostAsync("/v1/auth/login", new StringContent(
            """{"EMAIL":"a@example.com","Password":"whatever-password","shop_ID":1}""", Encoding.UTF8, "application/json"));

        var errors = (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error")).GetProperty("errors");
        Assert.Equal(["email", "password", "shop_id"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task Token_FormWithInvalidUtf8_IsAnInvalidGrantNotAServerError()
    {
        var content = new ByteArrayContent([.. "grant_type=refresh_token&refresh_token="u8, 0xFF, 0xC3, .. "%FF%ED%A0%80"u8]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");

        using var response = await _factory.ClientFor().PostAsync("/v1/oauth/token", content);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Login_ClientAcceptingNoJson_StillGetsTheContractsProblem()
    {
        var http = _factory.ClientFor();
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        using var response = await http.PostAsync("/v1/auth/login", new StringContent("{}", Encoding.UTF8, "application/json"));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.Equal(["type", "title", "status", "error", "error_description", "errors"], error.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Error_Body_HasExactlyTheContractsMembers()
    {
        using var response = await _factory.CreateClient().PostAsync("/v1/auth/login", new StringContent("{}", Encoding.UTF8, "application/json"));

        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal(["type", "title", "status", "error", "error_description"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("https://authcluster.dev/errors/invalid_client", error.GetProperty("type").GetString());
        Assert.Equal("Unauthorized", error.GetProperty("title").GetString());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> OpenApiAsync()
    {
        using var response = await _factory.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!["#/components/schemas/".Length..])
            : schema;

    private static string[] Messages(JsonElement errors, string field) =>
        [.. errors.GetProperty(field).EnumerateArray().Select(m => m.GetString()!)];
}
