using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

// A closed-loop HTTP load generator for AuthCluster: N workers each send one request at a time for the
// given duration and record every latency. Usage:
//   LoadGen <validate|refresh|login|guest|register> <base-url> <client-id> <client-secret> [seconds] [concurrency]
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: LoadGen <validate|refresh|login|guest|register> <base-url> <client-id> <client-secret> [seconds] [concurrency]");
    return 2;
}

var (scenario, baseUrl, clientId, secret) = (args[0], args[1].TrimEnd('/'), args[2], args[3]);
var seconds = args.Length > 4 ? int.Parse(args[4]) : 20;
var concurrency = args.Length > 5 ? int.Parse(args[5]) : 32;
const string Password = "violet-staple-orbit-42";

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = new Uri(baseUrl),
};
var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
var run = Guid.NewGuid().ToString("N")[..8];
var ipCounter = 0;

async Task<JsonElement> Send(HttpRequestMessage request, bool client = true)
{
    if (client)
    {
        request.Headers.Authorization = basic;
    }

    // A distinct customer IP per request keeps the per-IP limiter (meant for real customers) out of the measurement.
    var ip = Interlocked.Increment(ref ipCounter);
    request.Headers.Add("X-Customer-IP", $"10.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}");
    using var response = await http.SendAsync(request);
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new HttpRequestException($"{(int)response.StatusCode} {body}");
    }

    return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
}

Task<JsonElement> Register(int i) => Send(new HttpRequestMessage(HttpMethod.Post, "/v1/auth/register")
{
    Content = JsonContent.Create(new { first_name = "Load", last_name = "Test", email = $"load-{run}-{i}@example.com", password = Password, shop_id = 1 }),
});

// Set-up: a pool of sessions (one per worker, or a shared pool of tokens for validation).
var poolSize = scenario == "validate" ? Math.Max(concurrency, 200) : concurrency;
var pool = new JsonElement[scenario is "validate" or "refresh" or "login" ? poolSize : 0];
var setupOk = 0;
await Parallel.ForAsync(0, pool.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
{
    pool[i] = await Register(i);
    Interlocked.Increment(ref setupOk);
});
var accessTokens = pool.Select(p => p.GetProperty("access_token").GetString()!).ToArray();
var refreshTokens = pool.Select(p => p.GetProperty("refresh_token").GetString()!).ToArray();

Func<int, long, Task> operation = scenario switch
{
    "validate" => (worker, n) =>
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/oauth/token/validate");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessTokens[(int)((worker * 7919 + n) % accessTokens.Length)]);
        return Send(request, client: false);
    },
    "refresh" => async (worker, _) =>
    {
        var response = await Send(new HttpRequestMessage(HttpMethod.Post, "/v1/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshTokens[worker] }),
        });
        refreshTokens[worker] = response.GetProperty("refresh_token").GetString()!;
    },
    "login" => (worker, _) => Send(new HttpRequestMessage(HttpMethod.Post, "/v1/auth/login")
    {
        Content = JsonContent.Create(new { email = $"load-{run}-{worker}@example.com", password = Password, shop_id = 1 }),
    }),
    "guest" => (_, _) => Send(new HttpRequestMessage(HttpMethod.Post, "/v1/auth/login/guest")
    {
        Content = JsonContent.Create(new { first_name = "Guest", last_name = "Load", email = $"guest-{run}@example.com", shop_id = 1 }),
    }),
    "register" => (worker, n) => Register(1_000_000 + worker * 1_000_000 + (int)n),
    _ => throw new ArgumentException($"unknown scenario {scenario}"),
};

// Warm-up (JIT, caches, activations), then the measured run.
await RunAsync(TimeSpan.FromSeconds(Math.Min(5, seconds / 4.0)), record: false);
var (latencies, errors, elapsed) = await RunAsync(TimeSpan.FromSeconds(seconds), record: true);

latencies.Sort();
double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
Console.WriteLine($"{scenario}: {latencies.Count / elapsed.TotalSeconds:F0} req/s over {elapsed.TotalSeconds:F0} s, concurrency {concurrency}, " +
                  $"p50 {Percentile(0.50):F2} ms, p99 {Percentile(0.99):F2} ms, max {latencies.LastOrDefault():F1} ms, errors {errors}");
return errors == 0 ? 0 : 1;

async Task<(List<double> Latencies, long Errors, TimeSpan Elapsed)> RunAsync(TimeSpan duration, bool record)
{
    var all = new List<double>[concurrency];
    long errorCount = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
    {
        var mine = all[worker] = new List<double>(100_000);
        for (long n = 0; clock.Elapsed < duration; n++)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await operation(worker, n);
                if (record)
                {
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
            catch (HttpRequestException exception)
            {
                if (Interlocked.Increment(ref errorCount) <= 3)
                {
                    Console.Error.WriteLine($"error: {exception.Message}");
                }
            }
        }
    })));
    return ([.. all.SelectMany(l => l)], errorCount, clock.Elapsed);
}
