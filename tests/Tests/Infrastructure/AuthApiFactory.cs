using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace AuthCluster.Tests.Infrastructure;

/// <summary>
/// The real API with its embedded silo (localhost clustering on free ports) in a TestServer.
/// Storage is in memory unless a SQLite file is given. Settings are host settings, so the
/// API sees them while it builds, exactly as it would see environment variables.
/// </summary>
public sealed class AuthApiFactory : WebApplicationFactory<Program>
{
    public const string ClientA = "shop-a";
    public const string SecretA = "shop-a-secret-0123456789-abcdefghij";
    public const string ClientB = "shop-b";
    public const string SecretB = "shop-b-secret-0123456789-abcdefghij";
    public const long ShopA = 1;
    public const long ShopA2 = 2;
    public const long ShopB = 3;

    public static readonly string TestKek = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public AuthApiFactory(IDictionary<string, string?>? overrides = null, FakeTimeProvider? time = null)
    {
        Time = time;
        Settings = new Dictionary<string, string?>
        {
            // With a fake clock, Orleans' activation collector runs on it too and may collect the in-memory
            // storage grains when a test jumps ahead; a SQLite file keeps the state regardless.
            ["Storage:Provider"] = time is null ? "Memory" : "Sqlite",
            ["Storage:ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), "authcluster-tests", Guid.NewGuid().ToString("N"), "auth.db")}",
            ["Cluster:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:ClusterId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["Auth:Signing:KeyEncryptionKey"] = TestKek,
            ["Auth:Passwords:BcryptCost"] = "4",
            ["Auth:Clients:0:ClientId"] = ClientA,
            ["Auth:Clients:0:Secret"] = SecretA,
            ["Auth:Clients:0:ShopIds:0"] = "1",
            ["Auth:Clients:0:ShopIds:1"] = "2",
            ["Auth:Clients:0:ResetUrlOrigins:0"] = "https://shop-a.example",
            ["Auth:Clients:0:ResetUrlOrigins:1"] = "http://localhost:3000",
            ["Auth:Clients:0:ResetUrlOrigins:2"] = "http://127.0.0.1",
            ["Auth:Clients:1:ClientId"] = ClientB,
            ["Auth:Clients:1:SecretSha256"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(SecretB))),
            ["Auth:Clients:1:ShopIds:0"] = "3",
            ["Auth:Clients:1:ResetUrlOrigins:0"] = "https://shop-b.example",
            ["RateLimiting:PermitLimit"] = "100000",
            ["RateLimiting:PasswordReset:PermitLimit"] = "100000",
            // Every TestServer request comes from the same (absent) remote address; tests of bad credentials share it.
            ["RateLimiting:FailedClientAuthentication:PermitLimit"] = "100000",
            // A management listener per factory, on a free loopback port (ManagementListener.Addresses tells which).
            ["Management:Urls"] = "http://127.0.0.1:0",
            ["Email:Provider"] = "Pickup",
            ["Email:From"] = "AuthCluster Tests <no-reply@authcluster.test>",
            ["Email:PickupDirectory"] = Path.Combine(Path.GetTempPath(), "authcluster-mail-" + Guid.NewGuid().ToString("N")),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            Settings[key] = value;
        }
    }

    public Dictionary<string, string?> Settings { get; }

    public FakeTimeProvider? Time { get; }

    /// <summary>
    /// Every log record that passes the configured levels (<c>Logging:LogLevel:…</c>; warnings by default), from the
    /// API and its embedded silo alike.
    /// </summary>
    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    /// <summary>Where the pickup email provider (the default here) writes its <c>.eml</c> files.</summary>
    public string PickupDirectory => Settings["Email:PickupDirectory"]!;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    /// <summary>An HTTP client authenticated as an API client (Basic).</summary>
    public HttpClient ClientFor(string clientId = ClientA, string? secret = null)
    {
        var http = CreateClient();
        http.DefaultRequestHeaders.Authorization = Basic(clientId, secret ?? (clientId == ClientA ? SecretA : SecretB));
        return http;
    }

    /// <summary>An HTTP client carrying a bearer access token.</summary>
    public HttpClient BearerClient(string accessToken)
    {
        var http = CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return http;
    }

    public static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}")));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.AddFakeLogging());
        if (Time is not null)
        {
            builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
        }
    }

    public override async ValueTask DisposeAsync()
    {
        // Stopping the silo waits on Orleans' own retries and timeouts, which run on the host's clock: a fake clock
        // has to keep moving until the host is down, or the stop hangs until some real-time timeout (about 30 s).
        using var stopped = new CancellationTokenSource();
        var ticking = Time is null ? Task.CompletedTask : KeepTimeMovingAsync(Time, stopped.Token);
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            await stopped.CancelAsync();
            await ticking;
        }

        try
        {
            if (Directory.Exists(PickupDirectory))
            {
                Directory.Delete(PickupDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private static async Task KeepTimeMovingAsync(FakeTimeProvider time, CancellationToken stopped)
    {
        while (!stopped.IsCancellationRequested)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), stopped);
            }
            catch (OperationCanceledException)
            {
                // The host is down.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Request helpers shared by the HTTP tests.</summary>
public static class TestApi
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static int _counter;

    public static string UniqueEmail(string prefix = "user") =>
        $"{prefix}{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}@example.com";

    public const string GoodPassword = "violet-staple-orbit-42";

    public static Task<HttpResponseMessage> RegisterAsync(this HttpClient http, string email, string password = GoodPassword, long shopId = AuthApiFactory.ShopA) =>
        http.PostAsJsonAsync("/v1/auth/register", new { first_name = "Ada", last_name = "Lovelace", email, password, shop_id = shopId });

    public static Task<HttpResponseMessage> LoginAsync(this HttpClient http, string email, string password = GoodPassword, long shopId = AuthApiFactory.ShopA) =>
        http.PostAsJsonAsync("/v1/auth/login", new { email, password, shop_id = shopId });

    public static Task<HttpResponseMessage> GuestAsync(this HttpClient http, string email, long shopId = AuthApiFactory.ShopA) =>
        http.PostAsJsonAsync("/v1/auth/login/guest", new { first_name = "Grace", last_name = "Hopper", email, shop_id = shopId });

    public static Task<HttpResponseMessage> RefreshAsync(this HttpClient http, string refreshToken) =>
        http.PostAsync("/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
        }));

    public static async Task<TokenResponseDto> RegisteredAsync(this HttpClient http, string? email = null, long shopId = AuthApiFactory.ShopA)
    {
        using var response = await http.RegisterAsync(email ?? UniqueEmail(), shopId: shopId);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.TokensAsync();
    }

    public static async Task<TokenResponseDto> TokensAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<TokenResponseDto>(Json))!;

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>The endpoints whose errors are <c>application/json</c> (RFC 6749 §5.2) rather than problem+json.</summary>
    public static readonly string[] OAuthEndpoints = ["/v1/oauth/token", "/v1/oauth/introspect", "/v1/oauth/revoke"];

    /// <summary>
    /// Asserts the contract's error shape: status, media type (problem+json; plain JSON on the OAuth endpoints),
    /// the machine code.
    /// </summary>
    public static async Task<JsonElement> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status} {error}, got {(int)response.StatusCode}: {body}");
        var oauth = OAuthEndpoints.Contains(response.RequestMessage?.RequestUri?.AbsolutePath);
        Assert.Equal(oauth ? "application/json" : "application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(error, json.GetProperty("error").GetString());
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error_description").GetString()));
        return json;
    }
}

public sealed record TokenResponseDto(string TokenType, long ExpiresIn, string AccessToken, string RefreshToken, long RefreshExpiresIn);
