using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Http;

/// <summary>
/// The OpenAPI document describes the contract completely enough to generate a client: who may call each
/// operation, every error it can answer with (problem bodies whose examples are the bodies on the wire), and no
/// server taken from the request. The browsable reference is served only where it is enabled.
/// </summary>
public sealed class OpenApiDocumentTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static readonly string[] OAuthPaths = ["/v1/oauth/token", "/v1/oauth/introspect", "/v1/oauth/revoke"];
    private readonly AuthApiFactory _factory = fixture.Factory;

    /// <summary>Each operation with its security scheme (or none) and every status it can answer with.</summary>
    public static TheoryData<string, string, string, string> Operations => new()
    {
        { "post", "/v1/auth/register", "client", "201 400 401 403 409 413 429 503" },
        { "post", "/v1/auth/login", "client", "200 400 401 403 413 429 503" },
        { "post", "/v1/auth/login/guest", "client", "201 400 401 403 413 429 503" },
        { "post", "/v1/auth/logout", "bearer", "204 400 401 413 503" },
        { "post", "/v1/auth/password/send-reset-email", "client", "202 400 401 403 413 429 503" },
        { "put", "/v1/auth/password/update-by-hash", "client", "200 400 401 403 413 429 503" },
        { "post", "/v1/auth/password/update-by-hash", "client", "200 400 401 403 413 429 503" },
        { "post", "/v1/oauth/token", "client", "200 400 401 413 503" },
        { "get", "/v1/oauth/token/validate", "bearer", "200 401 503" },
        { "get", "/v1/oauth/tokens", "bearer", "200 401 503" },
        { "delete", "/v1/oauth/tokens/{id}", "bearer", "204 401 404 503" },
        { "post", "/v1/oauth/introspect", "client", "200 400 401 413 503" },
        { "post", "/v1/oauth/revoke", "client", "200 400 401 413 503" },
        { "get", "/.well-known/jwks.json", "", "200 503" },
        { "get", "/.well-known/openid-configuration", "", "200 503" },
        { "get", "/.well-known/oauth-authorization-server", "", "200 503" },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task OpenApi_Operation_DeclaresItsSecurityAndEveryStatus(string method, string path, string scheme, string statuses)
    {
        var operation = (await DocumentAsync()).GetProperty("paths").GetProperty(path).GetProperty(method);

        var requirement = Assert.Single(operation.GetProperty("security").EnumerateArray());
        Assert.Equal(scheme.Length == 0 ? [] : [scheme], requirement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(statuses.Split(' '), operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order());
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()));
    }

    [Fact]
    public async Task OpenApi_Document_CoversEveryOperationWithAUniqueId()
    {
        var document = await DocumentAsync();

        var operations = AllOperations(document).ToList();
        Assert.Equal(Operations.Count, operations.Count);
        Assert.Equal(operations.Count, operations.Select(o => o.Operation.GetProperty("operationId").GetString()).Distinct().Count());
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("basic", schemes.GetProperty("client").GetProperty("scheme").GetString());
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task OpenApi_ErrorResponses_AreProblemsWithRetryAfterWhereSent()
    {
        var document = await DocumentAsync();

        foreach (var (path, method, operation) in AllOperations(document))
        {
            foreach (var response in operation.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
            {
                var where = $"{method} {path} {response.Name}";
                var media = Assert.Single(response.Value.GetProperty("content").EnumerateObject());
                Assert.True(media.Name == (OAuthPaths.Contains(path) ? "application/json" : "application/problem+json"), $"{where}: {media.Name}");
                Assert.Equal("#/components/schemas/Problem", media.Value.GetProperty("schema").GetProperty("$ref").GetString());
                foreach (var example in media.Value.GetProperty("examples").EnumerateObject())
                {
                    var body = example.Value.GetProperty("value");
                    Assert.Equal(example.Name, body.GetProperty("error").GetString());
                    Assert.Equal(int.Parse(response.Name, System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("status").GetInt32());
                }

                var hasRetryAfter = response.Value.TryGetProperty("headers", out var headers) && headers.TryGetProperty("Retry-After", out _);
                Assert.True(hasRetryAfter == response.Name is "429" or "503", $"{where}: Retry-After {hasRetryAfter}");
            }
        }
    }

    [Fact]
    public async Task OpenApi_ErrorExample_IsTheBodyOnTheWire()
    {
        var document = await DocumentAsync();
        using var response = await _factory.CreateClient().PostAsync("/v1/auth/login", JsonContent.Create(new { }));

        var example = document.GetProperty("paths").GetProperty("/v1/auth/login").GetProperty("post").GetProperty("responses")
            .GetProperty("401").GetProperty("content").GetProperty("application/problem+json").GetProperty("examples")
            .GetProperty("invalid_client").GetProperty("value");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(example.GetRawText()), JsonNode.Parse(await response.Content.ReadAsStringAsync())));
    }

    [Fact]
    public async Task OpenApi_Servers_AreTheConfiguredIssuerNotTheRequestsHost()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "attacker.example";
        using var response = await _factory.CreateClient().SendAsync(request);

        var server = Assert.Single((await response.JsonAsync()).GetProperty("servers").EnumerateArray());
        Assert.Equal("http://localhost:5080", server.GetProperty("url").GetString());
    }

    [Fact]
    public async Task ApiReference_OutsideDevelopmentByDefault_IsNotServed()
    {
        using var response = await _factory.CreateClient().GetAsync("/docs/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ApiReference_WhenEnabled_ServesAPageOnTheDocument()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["ApiReference:Enabled"] = "true" });
        var http = factory.CreateClient();

        using var page = await http.GetAsync("/docs/");
        using var script = await http.GetAsync("/docs/scalar.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("openapi/v1.json", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var response = await _factory.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> AllOperations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (path.Name, op.Name, op.Value)));
}
