using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Cluster;

/// <summary>One HTTP call of the load, as the shop backend saw it.</summary>
internal sealed record RequestRecord(string Operation, string Api, DateTime StartedUtc, TimeSpan Latency, int Status)
{
    /// <summary>No answer, or an answer that says the service could not serve (5xx).</summary>
    public bool Failed => Status is 0 or >= 500;
}

/// <summary>A session the load holds tokens of, and what the service must say about it.</summary>
internal sealed class SessionEntry(string owner, string accessToken, string refreshToken)
{
    public string Owner { get; } = owner;
    public string AccessToken { get; set; } = accessToken;
    public string RefreshToken { get; set; } = refreshToken;
    public bool Revoked { get; set; }

    /// <summary>An operation on it failed without a known outcome for longer than the retry budget; checks skip it.</summary>
    public bool Uncertain { get; set; }

    /// <summary>One operation at a time per session, so the expected state is always known.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);
}

/// <summary>
/// A steady mixed load (register, login, guest, refresh, validate, list, logout) through every API node, keeping a
/// ledger of everything the service acknowledged, so that afterwards nothing acknowledged may be missing: every
/// account logs in, every active session validates and refreshes, every revoked one stays revoked, and no refresh
/// token ever had two successors.
/// </summary>
internal sealed class MixedLoad : IDisposable
{
    /// <summary>How long a shop keeps retrying an unanswered refresh or logout with the same token (inside the 10 s grace window).</summary>
    private static readonly TimeSpan ClientRetryBudget = TimeSpan.FromSeconds(6);

    private readonly List<(string Name, HttpClient Http)> _apis;
    private readonly ConcurrentDictionary<string, string> _accounts = new();
    private readonly List<SessionEntry> _sessions = [];
    private readonly ConcurrentDictionary<string, string> _successors = new();
    private readonly ConcurrentQueue<RequestRecord> _requests = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public MixedLoad(IEnumerable<ApiNode> apis)
    {
        _apis = [.. apis.Select(a => (a.Process.Name, new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = a.BaseAddress,
            // Far above any legitimate answer time: a hang shows up as a long latency, not as a client-side cut.
            Timeout = TimeSpan.FromSeconds(30),
        }))];
    }

    public IReadOnlyCollection<RequestRecord> Requests => _requests;

    public IReadOnlyCollection<string> Violations => _violations;

    public int AccountCount => _accounts.Count;

    public int SessionCount
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count;
            }
        }
    }

    public int UncertainCount
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count(s => s.Uncertain);
            }
        }
    }

    /// <summary>Runs <paramref name="workers"/> loops of random operations until <paramref name="stop"/> fires.</summary>
    public Task RunAsync(int workers, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkerAsync(w, stop), CancellationToken.None)));

    private async Task WorkerAsync(int worker, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var api = _apis[Random.Shared.Next(_apis.Count)];
            var roll = Random.Shared.Next(100);
            try
            {
                await (roll switch
                {
                    < 12 => RegisterAsync(api),
                    < 24 => LoginAsync(api),
                    < 34 => GuestAsync(api),
                    < 56 => RefreshAsync(),
                    < 86 => ValidateAsync(api),
                    < 92 => ListSessionsAsync(api),
                    _ => LogoutAsync(),
                });
            }
            catch (Exception exception)
            {
                _violations.Enqueue($"worker {worker}: unexpected {exception.GetType().Name}: {exception.Message}");
            }

            await Task.Delay(Random.Shared.Next(5, 25), CancellationToken.None);
        }
    }

    public async Task RegisterAsync((string Name, HttpClient Http) api)
    {
        var email = TestApi.UniqueEmail("load");
        var (status, body) = await SendAsync(api, "register", Client(HttpMethod.Post, "/v1/auth/register",
            new { first_name = "Ada", last_name = "Lovelace", email, password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));
        if (status == HttpStatusCode.Created)
        {
            _accounts[email] = TestApi.GoodPassword;
            AddSession(email, body);
        }
        else if (!IsFailure(status))
        {
            _violations.Enqueue($"register of a fresh email answered {(int)status}");
        }
    }

    public async Task LoginAsync((string Name, HttpClient Http) api)
    {
        var email = RandomAccount();
        if (email is null)
        {
            await RegisterAsync(api);
            return;
        }

        var (status, body) = await SendAsync(api, "login", Client(HttpMethod.Post, "/v1/auth/login",
            new { email, password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));
        if (status == HttpStatusCode.OK)
        {
            AddSession(email, body);
        }
        else if (!IsFailure(status))
        {
            _violations.Enqueue($"login of acknowledged account {email} answered {(int)status}");
        }
    }

    public async Task GuestAsync((string Name, HttpClient Http) api)
    {
        var (status, body) = await SendAsync(api, "guest", Client(HttpMethod.Post, "/v1/auth/login/guest",
            new { first_name = "Grace", last_name = "Hopper", email = TestApi.UniqueEmail("guest"), shop_id = ProcessCluster.ShopId }));
        if (status == HttpStatusCode.Created)
        {
            AddSession("guest", body);
        }
        else if (!IsFailure(status))
        {
            _violations.Enqueue($"guest login answered {(int)status}");
        }
    }

    /// <summary>
    /// Refreshes one session, sometimes the same token through two API nodes at once (both must get the same
    /// successor). An unanswered refresh is retried with the same token, as a shop would, within the grace window.
    /// </summary>
    public async Task RefreshAsync()
    {
        if (TakeSession(active: true) is not { } session)
        {
            return;
        }

        try
        {
            var presented = session.RefreshToken;
            var twice = Random.Shared.Next(100) < 15;
            var started = _clock.Elapsed;
            while (true)
            {
                var apis = twice ? _apis : [_apis[Random.Shared.Next(_apis.Count)]];
                var answers = await Task.WhenAll(apis.Select(api => SendAsync(api, "refresh", Client(HttpMethod.Post, "/v1/oauth/token",
                    form: new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = presented }))));
                foreach (var (status, body) in answers.Where(a => !IsFailure(a.Status)))
                {
                    if (status != HttpStatusCode.OK)
                    {
                        _violations.Enqueue($"refresh of the current token of {session.Owner} answered {(int)status} {body}");
                        continue;
                    }

                    var successor = body.GetProperty("refresh_token").GetString()!;
                    var recorded = _successors.GetOrAdd(presented, successor);
                    if (recorded != successor)
                    {
                        _violations.Enqueue($"refresh token of {session.Owner} yielded two successors");
                    }

                    session.RefreshToken = successor;
                    session.AccessToken = body.GetProperty("access_token").GetString()!;
                }

                if (session.RefreshToken != presented || answers.Any(a => !IsFailure(a.Status)))
                {
                    return;
                }

                if (_clock.Elapsed - started > ClientRetryBudget)
                {
                    session.Uncertain = true;
                    return;
                }

                await Task.Delay(200);
            }
        }
        finally
        {
            session.Gate.Release();
        }
    }

    public async Task ValidateAsync((string Name, HttpClient Http) api)
    {
        if (TakeSession(active: null) is not { } session)
        {
            return;
        }

        try
        {
            var (status, _) = await SendAsync(api, "validate", Bearer(HttpMethod.Get, "/v1/oauth/token/validate", session.AccessToken));
            var expected = session.Revoked ? HttpStatusCode.Unauthorized : HttpStatusCode.OK;
            if (!IsFailure(status) && status != expected)
            {
                _violations.Enqueue($"validate of a {(session.Revoked ? "revoked" : "active")} session of {session.Owner} answered {(int)status}");
            }
        }
        finally
        {
            session.Gate.Release();
        }
    }

    public async Task ListSessionsAsync((string Name, HttpClient Http) api)
    {
        if (TakeSession(active: true) is not { } session)
        {
            return;
        }

        try
        {
            var (status, body) = await SendAsync(api, "sessions", Bearer(HttpMethod.Get, "/v1/oauth/tokens", session.AccessToken));
            if (!IsFailure(status) && (status != HttpStatusCode.OK || body.GetArrayLength() == 0))
            {
                _violations.Enqueue($"session list of an active session of {session.Owner} answered {(int)status}");
            }
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>Logs one session out; logout is idempotent, so an unanswered one is simply repeated.</summary>
    public async Task LogoutAsync()
    {
        if (TakeSession(active: true) is not { } session)
        {
            return;
        }

        try
        {
            var started = _clock.Elapsed;
            var failedBefore = false;
            while (true)
            {
                var api = _apis[Random.Shared.Next(_apis.Count)];
                var (status, _) = await SendAsync(api, "logout", Bearer(HttpMethod.Post, "/v1/auth/logout", session.AccessToken));
                if (status == HttpStatusCode.NoContent || (status == HttpStatusCode.Unauthorized && failedBefore))
                {
                    // A 401 after an unanswered attempt: that attempt did revoke the session.
                    session.Revoked = true;
                    return;
                }

                if (!IsFailure(status))
                {
                    _violations.Enqueue($"logout of an active session of {session.Owner} answered {(int)status}");
                    return;
                }

                failedBefore = true;
                if (_clock.Elapsed - started > ClientRetryBudget)
                {
                    session.Uncertain = true;
                    return;
                }

                await Task.Delay(200);
            }
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>
    /// Checks everything acknowledged so far, with the load stopped: accounts log in, active sessions validate and
    /// refresh, revoked sessions stay revoked. Returns the mismatches (empty when nothing was lost).
    /// </summary>
    public async Task<List<string>> VerifyAsync()
    {
        var problems = new ConcurrentQueue<string>();
        List<SessionEntry> sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions.Where(s => !s.Uncertain)];
        }

        var checks = _accounts.Keys.Select(email => (Func<Task>)(async () =>
        {
            var (status, _) = await SendAsync(NextApi(), "verify-login", Client(HttpMethod.Post, "/v1/auth/login",
                new { email, password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));
            if (status != HttpStatusCode.OK)
            {
                problems.Enqueue($"account {email}: login answered {(int)status}");
            }
        })).Concat(sessions.Select(session => (Func<Task>)(async () =>
        {
            var (validated, _) = await SendAsync(NextApi(), "verify-validate", Bearer(HttpMethod.Get, "/v1/oauth/token/validate", session.AccessToken));
            var (refreshed, body) = await SendAsync(NextApi(), "verify-refresh", Client(HttpMethod.Post, "/v1/oauth/token",
                form: new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = session.RefreshToken }));
            var (expectedValidation, expectedRefresh) = session.Revoked
                ? (HttpStatusCode.Unauthorized, HttpStatusCode.BadRequest)
                : (HttpStatusCode.OK, HttpStatusCode.OK);
            if (validated != expectedValidation || refreshed != expectedRefresh)
            {
                problems.Enqueue($"{(session.Revoked ? "revoked" : "active")} session of {session.Owner}: validate {(int)validated}, refresh {(int)refreshed}");
            }
            else if (refreshed == HttpStatusCode.OK
                && _successors.GetOrAdd(session.RefreshToken, body.GetProperty("refresh_token").GetString()!) != body.GetProperty("refresh_token").GetString())
            {
                problems.Enqueue($"session of {session.Owner}: its refresh token yielded two successors");
            }
        })));

        // Bounded parallelism: fast, without turning verification itself into an overload test.
        await Parallel.ForEachAsync(checks, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (check, _) => await check());
        return [.. problems];
    }

    /// <summary>Sends one request to a given API node and records it.</summary>
    public Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(int apiIndex, string operation, HttpRequestMessage request) =>
        SendAsync(_apis[apiIndex], operation, request);

    public static HttpRequestMessage Client(HttpMethod method, string path, object? json = null, Dictionary<string, string>? form = null)
    {
        var request = new HttpRequestMessage(method, path)
        {
            Content = form is not null ? new FormUrlEncodedContent(form) : json is not null ? JsonContent.Create(json) : null,
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ProcessCluster.ClientId}:{ProcessCluster.ClientSecret}")));
        return request;
    }

    public static HttpRequestMessage Bearer(HttpMethod method, string path, string accessToken)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return request;
    }

    /// <summary>Sessions the load acknowledged, for tests that drive requests themselves.</summary>
    public List<SessionEntry> Sessions(bool revoked)
    {
        lock (_sessions)
        {
            return [.. _sessions.Where(s => s.Revoked == revoked && !s.Uncertain)];
        }
    }

    /// <summary>The failures of the load around a fault, as a line for the test output and the CI log.</summary>
    public FailureWindow Measure(DateTime faultUtc)
    {
        var all = _requests.Where(r => !r.Operation.StartsWith("verify", StringComparison.Ordinal)).ToList();
        var failed = all.Where(r => r.Failed).OrderBy(r => r.StartedUtc).ToList();
        var window = failed.Count == 0
            ? TimeSpan.Zero
            : failed.Max(r => r.StartedUtc + r.Latency) - failed[0].StartedUtc;
        return new FailureWindow(
            all.Count,
            failed.Count,
            window,
            failed.Count == 0 ? null : failed[0].StartedUtc - faultUtc,
            all.Count == 0 ? TimeSpan.Zero : all.Max(r => r.Latency),
            Percentile(all, 0.99),
            string.Join(", ", failed.GroupBy(r => $"{r.Operation}:{r.Status}").Select(g => $"{g.Key}×{g.Count()}")));
    }

    public void Dispose()
    {
        foreach (var (_, http) in _apis)
        {
            http.Dispose();
        }
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync((string Name, HttpClient Http) api, string operation, HttpRequestMessage request)
    {
        var started = DateTime.UtcNow;
        var timer = Stopwatch.StartNew();
        using (request)
        {
            try
            {
                using var response = await api.Http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                _requests.Enqueue(new RequestRecord(operation, api.Name, started, timer.Elapsed, (int)response.StatusCode));
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is null)
                {
                    _violations.Enqueue($"{operation}: 503 without Retry-After");
                }

                return (response.StatusCode, text.Length > 0 && text[0] is '{' or '[' ? JsonDocument.Parse(text).RootElement.Clone() : default);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                _requests.Enqueue(new RequestRecord(operation, api.Name, started, timer.Elapsed, 0));
                return (0, default);
            }
        }
    }

    private static bool IsFailure(HttpStatusCode status) => status is 0 or >= HttpStatusCode.InternalServerError;

    private void AddSession(string owner, JsonElement body)
    {
        var session = new SessionEntry(owner, body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
        lock (_sessions)
        {
            _sessions.Add(session);
        }
    }

    private string? RandomAccount()
    {
        var keys = _accounts.Keys;
        return keys.Count == 0 ? null : keys.ElementAt(Random.Shared.Next(keys.Count));
    }

    /// <summary>A random session that no other operation holds; <paramref name="active"/> null takes revoked ones too.</summary>
    private SessionEntry? TakeSession(bool? active)
    {
        lock (_sessions)
        {
            for (var tries = 0; tries < 8 && _sessions.Count > 0; tries++)
            {
                var session = _sessions[Random.Shared.Next(_sessions.Count)];
                if (session.Uncertain || (active is { } a && session.Revoked == a) || !session.Gate.Wait(0))
                {
                    continue;
                }

                return session;
            }
        }

        return null;
    }

    private int _next;

    private (string Name, HttpClient Http) NextApi() => _apis[Interlocked.Increment(ref _next) % _apis.Count];

    private static TimeSpan Percentile(List<RequestRecord> records, double p)
    {
        if (records.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var sorted = records.Select(r => r.Latency).Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * p))];
    }
}

/// <summary>What a fault cost the load: failed requests and the span of time they fell in.</summary>
internal sealed record FailureWindow(int Requests, int Failed, TimeSpan Window, TimeSpan? FirstFailureAfterFault, TimeSpan MaxLatency, TimeSpan P99Latency, string FailedByOperation)
{
    public override string ToString() =>
        FormattableString.Invariant($"{Failed} of {Requests} requests failed; failure window {Window.TotalSeconds:F2} s")
        + (FirstFailureAfterFault is { } first ? FormattableString.Invariant($" (first failure {first.TotalSeconds:F2} s after the fault)") : "")
        + FormattableString.Invariant($"; max latency {MaxLatency.TotalSeconds:F2} s, p99 {P99Latency.TotalMilliseconds:F0} ms")
        + (Failed > 0 ? $"; failed: {FailedByOperation}" : "");
}
