using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace AuthCluster.LoadGen;

internal enum Scenario
{
    Register,
    Login,
    Guest,
    Refresh,
    Validate,
    Introspect,
    Jwks,
    Mixed,
}

internal static class ScenarioNames
{
    public static Scenario Parse(string text) =>
        Enum.TryParse<Scenario>(text, ignoreCase: true, out var scenario) && !int.TryParse(text, out _)
            ? scenario
            : throw new ArgumentException($"Unknown scenario '{text}'; one of: {string.Join(", ", Enum.GetNames<Scenario>()).ToLowerInvariant()}.");
}

/// <summary>An answer other than 2xx: its status, or 0 when no answer came at all.</summary>
internal sealed class FailedRequest(int status) : Exception($"status {status}")
{
    public int Status => status;
}

/// <summary>
/// The requests of every scenario, as a shop backend sends them, and the accounts and tokens they need. Each worker
/// owns an account and a refresh token (rotation is per session, so workers never race each other); validation
/// and introspection pick from a shared pool of guest sessions. Requests go round-robin to the API nodes.
/// </summary>
internal sealed class Workload(IReadOnlyList<HttpClient> nodes, string clientId, string secret, int workers)
{
    private const string Password = "violet-staple-orbit-42";
    private const int TokenPool = 200;

    private readonly AuthenticationHeaderValue _client = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly string[] _refreshTokens = new string[workers];
    private string[] _accessTokens = [];
    private int _customerIps;
    private long _registrations;
    private int _requests;

    /// <summary>Creates what <paramref name="scenario"/> uses: the workers' accounts, the pool of access tokens.</summary>
    public async Task PrepareAsync(Scenario scenario)
    {
        if (scenario is Scenario.Login or Scenario.Refresh or Scenario.Mixed)
        {
            await Parallel.ForAsync(0, workers, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (worker, _) =>
                _refreshTokens[worker] = (await RegisterAsync(AccountEmail(worker))).GetProperty("refresh_token").GetString()!);
        }

        if (scenario is Scenario.Validate or Scenario.Introspect or Scenario.Mixed)
        {
            var tokens = new string[TokenPool];
            await Parallel.ForAsync(0, TokenPool, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
                tokens[i] = (await GuestAsync()).GetProperty("access_token").GetString()!);
            _accessTokens = tokens;
        }
    }

    /// <summary>One request of <paramref name="scenario"/> by <paramref name="worker"/>; <paramref name="n"/> counts its requests.</summary>
    public Task RunAsync(Scenario scenario, int worker, long n) => scenario switch
    {
        Scenario.Register => RegisterAsync($"load-{_run}-new-{Interlocked.Increment(ref _registrations)}@example.com"),
        Scenario.Login => LoginAsync(worker),
        Scenario.Guest => GuestAsync(),
        Scenario.Refresh => RefreshAsync(worker),
        Scenario.Validate => ValidateAsync(worker, n),
        Scenario.Introspect => IntrospectAsync(worker, n),
        Scenario.Jwks => SendAsync(new HttpRequestMessage(HttpMethod.Get, ".well-known/jwks.json"), client: false),
        _ => RunAsync(Mix(worker, n), worker, n),
    };

    /// <summary>A shop's day: 70 % validate, 15 % refresh, 8 % guest, 5 % login, 2 % register, spread evenly.</summary>
    private static Scenario Mix(int worker, long n) => (int)((n * 37 + worker * 11) % 100) switch
    {
        < 70 => Scenario.Validate,
        < 85 => Scenario.Refresh,
        < 93 => Scenario.Guest,
        < 98 => Scenario.Login,
        _ => Scenario.Register,
    };

    private string AccountEmail(int worker) => $"load-{_run}-{worker}@example.com";

    private Task<JsonElement> RegisterAsync(string email) => SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/auth/register")
    {
        Content = JsonContent.Create(new { first_name = "Load", last_name = "Test", email, password = Password, shop_id = 1 }),
    });

    /// <summary>A new guest session; its access token.</summary>
    public async Task<string> NewSessionAsync() => (await GuestAsync()).GetProperty("access_token").GetString()!;

    /// <summary>Logs out the session of <paramref name="accessToken"/> (it is revoked on every API node).</summary>
    public Task LogoutAsync(string accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/auth/logout");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return SendAsync(request, client: false);
    }

    private Task<JsonElement> GuestAsync() => SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/auth/login/guest")
    {
        Content = JsonContent.Create(new { first_name = "Guest", last_name = "Load", email = $"guest-{_run}@example.com", shop_id = 1 }),
    });

    // A login starts a new session; the worker continues with it, so that the per-customer session limit, which
    // evicts the oldest, never takes the session it refreshes.
    private async Task LoginAsync(int worker)
    {
        var tokens = await SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/auth/login")
        {
            Content = JsonContent.Create(new { email = AccountEmail(worker), password = Password, shop_id = 1 }),
        });
        _refreshTokens[worker] = tokens.GetProperty("refresh_token").GetString()!;
    }

    private async Task RefreshAsync(int worker)
    {
        var tokens = await SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/oauth/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "refresh_token"), new("refresh_token", _refreshTokens[worker])]),
        });
        _refreshTokens[worker] = tokens.GetProperty("refresh_token").GetString()!;
    }

    private Task ValidateAsync(int worker, long n)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "v1/oauth/token/validate");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PooledToken(worker, n));
        return SendAsync(request, client: false);
    }

    private Task IntrospectAsync(int worker, long n) => SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/oauth/introspect")
    {
        Content = new FormUrlEncodedContent([new("token", PooledToken(worker, n))]),
    });

    private string PooledToken(int worker, long n) => _accessTokens[(int)((worker * 7919 + n) % _accessTokens.Length)];

    private async Task<JsonElement> SendAsync(HttpRequestMessage request, bool client = true)
    {
        using (request)
        {
            if (client)
            {
                request.Headers.Authorization = _client;

                // A distinct customer IP per request keeps the per-IP limits, meant for real customers, out of the way.
                var ip = Interlocked.Increment(ref _customerIps);
                request.Headers.Add("X-Customer-IP", $"10.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}");
            }

            HttpResponseMessage response;
            try
            {
                response = await nodes[(int)((uint)Interlocked.Increment(ref _requests) % nodes.Count)].SendAsync(request);
            }
            catch (HttpRequestException)
            {
                throw new FailedRequest(0);
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw new FailedRequest((int)response.StatusCode);
                }

                return response.StatusCode == HttpStatusCode.NoContent
                    ? default
                    : (await response.Content.ReadFromJsonAsync<JsonElement>());
            }
        }
    }
}
