using System.Text;
using System.Text.Json;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace AuthCluster.Tests.Http;

/// <summary>
/// The committed hostile-input corpus (<c>hostile-corpus.jsonl</c> beside this file: malformed and oversized JSON,
/// invalid UTF-8, lone surrogates, huge numbers, wrong types, bad form encodings, garbage in every header we read)
/// sent to every endpoint of the service. Not one answer may be a 5xx.
/// </summary>
public sealed class HostileCorpusTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    /// <summary>Every endpoint, with the credentials it takes: a client's Basic, a bearer token, or none.</summary>
    public static TheoryData<string, string, string> Endpoints => new()
    {
        { "POST", "/v1/auth/register", "client" },
        { "POST", "/v1/auth/login", "client" },
        { "POST", "/v1/auth/login/guest", "client" },
        { "POST", "/v1/auth/logout", "bearer" },
        { "POST", "/v1/auth/password/send-reset-email", "client" },
        { "PUT", "/v1/auth/password/update-by-hash", "client" },
        { "POST", "/v1/auth/password/update-by-hash", "client" },
        { "POST", "/v1/oauth/token", "client" },
        { "GET", "/v1/oauth/token/validate", "bearer" },
        { "GET", "/v1/oauth/tokens", "bearer" },
        { "DELETE", "/v1/oauth/tokens/00000000-0000-0000-0000-000000000000", "bearer" },
        { "DELETE", "/v1/oauth/tokens/%FF%FE..%2F%2e%2e%5Cx", "bearer" },
        { "POST", "/v1/oauth/revoke", "client" },
        { "POST", "/v1/oauth/introspect", "client" },
        { "GET", "/.well-known/jwks.json", "none" },
        { "GET", "/.well-known/openid-configuration", "none" },
        { "GET", "/.well-known/oauth-authorization-server", "none" },
        { "GET", "/health/live", "none" },
        { "GET", "/health/ready", "none" },
        { "GET", "/openapi/v1.json", "none" },
    };

    [Fact]
    public void Corpus_CoversEveryKindOfHostileInput()
    {
        var names = Corpus.Value.Select(e => e.Name.Split(':')[0]).ToHashSet();

        Assert.Superset(new HashSet<string> { "json", "number", "types", "strings", "nesting", "bytes", "content type", "form", "authorization", "x-customer-ip", "x-customer-user-agent" }, names);
        Assert.True(Corpus.Value.Count >= 100, $"{Corpus.Value.Count} entries");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WholeCorpus_NeverAnswers5xx(string method, string path, string credentials)
    {
        var authorization = credentials switch
        {
            "client" => AuthApiFactory.Basic(AuthApiFactory.ClientA, AuthApiFactory.SecretA).ToString(),
            "bearer" => "Bearer " + (await _factory.ClientFor().RegisteredAsync()).AccessToken,
            _ => null,
        };
        var failures = new List<string>();

        foreach (var entry in Corpus.Value)
        {
            // Each entry with the endpoint's own valid credentials (unless it brings its own), so that it gets past
            // authentication to the body; the entries that bring garbage credentials test the way in.
            var context = await SendAsync(method, path, entry, authorization);
            if (context.Response.StatusCode >= 500)
            {
                failures.Add($"{entry.Name}: {context.Response.StatusCode}");
            }
        }

        Assert.True(failures.Count == 0, $"{method} {path}: {string.Join("; ", failures)}");
    }

    private Task<HttpContext> SendAsync(string method, string path, CorpusEntry entry, string? authorization) =>
        _factory.Server.SendAsync(context =>
        {
            var body = entry.Bytes;
            context.Request.Method = method;
            context.Request.Path = PathString.FromUriComponent(path);
            context.Request.ContentLength = body.Length;
            context.Request.Body = new MemoryStream(body);
            if (entry.ContentType is not null)
            {
                context.Request.ContentType = entry.ContentType;
            }

            if (authorization is not null)
            {
                context.Request.Headers.Authorization = authorization;
            }

            foreach (var (name, value) in entry.Headers)
            {
                context.Request.Headers[name] = value;
            }
        });

    private static readonly Lazy<IReadOnlyList<CorpusEntry>> Corpus = new(() =>
        [.. File.ReadAllLines(Path.Combine(Binaries.RepositoryRoot, "tests", "Tests", "Http", "hostile-corpus.jsonl"))
            .Where(line => line.Length > 0)
            .Select(CorpusEntry.Parse)]);

    /// <summary>One line of the corpus: a name, a body (text, or base64 for bytes that are not UTF-8), a content type, headers.</summary>
    private sealed record CorpusEntry(string Name, byte[] Bytes, string? ContentType, IReadOnlyDictionary<string, string> Headers)
    {
        public static CorpusEntry Parse(string line)
        {
            var json = JsonDocument.Parse(line).RootElement;
            var bytes = json.TryGetProperty("body_base64", out var raw) ? Convert.FromBase64String(raw.GetString()!)
                : json.TryGetProperty("body", out var text) ? Encoding.UTF8.GetBytes(text.GetString()!)
                : [];
            var headers = json.TryGetProperty("headers", out var given)
                ? given.EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString()!, StringComparer.OrdinalIgnoreCase)
                : new Dictionary<string, string>();
            return new CorpusEntry(
                json.GetProperty("name").GetString()!,
                bytes,
                json.TryGetProperty("content_type", out var type) ? type.GetString() : null,
                headers);
        }
    }
}
