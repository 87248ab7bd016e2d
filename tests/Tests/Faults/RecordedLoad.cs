using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Faults;

/// <summary>
/// A mixed load through every API node — register, login, guest login, refresh (sometimes one token through two nodes
/// at once), validate, introspect, logout, RFC 7009 revocation, password change by reset email — that records every
/// call in a <see cref="History"/>, and afterwards a read-back phase that gives <see cref="HistoryChecker"/> what it
/// needs to judge the end state. The driver's own bookkeeping only chooses what to do next; nothing it believes is
/// evidence: the checker rebuilds everything from the recorded answers.
/// </summary>
internal sealed partial class RecordedLoad : IDisposable
{
    /// <summary>How long a shop keeps repeating an unanswered refresh or logout (well inside the 10 s grace window).</summary>
    private static readonly TimeSpan ClientRetryBudget = TimeSpan.FromSeconds(6);

    private readonly List<(string Name, HttpClient Http)> _apis;
    private readonly string _pickupDirectory;
    private readonly List<Account> _accounts = [];
    private readonly List<Family> _families = [];
    private int _next;

    public RecordedLoad(IEnumerable<ApiNode> apis, string pickupDirectory)
    {
        _pickupDirectory = pickupDirectory;
        _apis = [.. apis.Select(a => (a.Process.Name, new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = a.BaseAddress,
            // Far above any legitimate answer time: a hang shows up as a long latency, not as a cut of our own.
            Timeout = TimeSpan.FromSeconds(30),
        }))];
    }

    public History History { get; } = new();

    public int FamilyCount
    {
        get
        {
            lock (_families)
            {
                return _families.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="workers"/> loops of random operations until <paramref name="stop"/> fires.</summary>
    public Task RunAsync(int workers, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkerAsync(stop), CancellationToken.None)));

    private async Task WorkerAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var roll = Random.Shared.Next(100);
            await (roll switch
            {
                < 10 => RegisterAsync(),
                < 20 => LoginAsync(),
                < 28 => GuestAsync(),
                < 50 => RefreshAsync(),
                < 72 => ValidateAsync(),
                < 80 => IntrospectAsync(),
                < 87 => LogoutAsync(),
                < 91 => RevokeAsync(),
                < 93 => ChangePasswordAsync(stop),
                _ => ValidateAsync(),
            });
            await Task.Delay(Random.Shared.Next(5, 25), CancellationToken.None);
        }
    }

    private async Task RegisterAsync()
    {
        var email = TestApi.UniqueEmail("nsload");
        var password = NewPassword();
        var (entry, _) = await CallAsync(Operation.Register, Phase.Load, AnyApi(), MixedLoad.Client(HttpMethod.Post, "/v1/auth/register",
            new { first_name = "Ada", last_name = "Lovelace", email, password, shop_id = ProcessCluster.ShopId }), e => e with { Account = email, Password = password });
        if (entry.Acknowledged)
        {
            var account = new Account(email, password);
            lock (_accounts)
            {
                _accounts.Add(account);
            }

            AddFamily(email, entry);
        }
        else if (entry.Unknown)
        {
            // It may exist: the read-back asks.
            lock (_accounts)
            {
                _accounts.Add(new Account(email, password) { Uncertain = true });
            }
        }
    }

    private async Task LoginAsync()
    {
        if (Pick(_accounts, a => !a.Uncertain) is not { } account)
        {
            await RegisterAsync();
            return;
        }

        var password = account.Password;
        var (entry, _) = await CallAsync(Operation.Login, Phase.Load, AnyApi(), MixedLoad.Client(HttpMethod.Post, "/v1/auth/login",
            new { email = account.Email, password, shop_id = ProcessCluster.ShopId }), e => e with { Account = account.Email, Password = password });
        if (entry.Acknowledged)
        {
            AddFamily(account.Email, entry);
        }
    }

    private async Task GuestAsync()
    {
        var (entry, _) = await CallAsync(Operation.Guest, Phase.Load, AnyApi(), MixedLoad.Client(HttpMethod.Post, "/v1/auth/login/guest",
            new { first_name = "Grace", last_name = "Hopper", email = TestApi.UniqueEmail("nsguest"), shop_id = ProcessCluster.ShopId }));
        if (entry.Acknowledged)
        {
            AddFamily(null, entry);
        }
    }

    /// <summary>Refreshes one session, sometimes through two nodes at once; an unanswered refresh is repeated as a shop would.</summary>
    private async Task RefreshAsync()
    {
        if (Take(live: true) is not { } family)
        {
            return;
        }

        try
        {
            var presented = family.Refresh;
            var apis = Random.Shared.Next(100) < 15 ? _apis : [AnyApi()];
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var answers = await Task.WhenAll(apis.Select(api => CallAsync(Operation.Refresh, Phase.Load, api, RefreshRequest(presented), e => e with { PresentedRefresh = presented })));
                foreach (var (entry, _) in answers.Where(a => a.Entry.Acknowledged))
                {
                    (family.Refresh, family.Access) = (entry.IssuedRefresh!, entry.IssuedAccess!);
                }

                if (answers.Any(a => !a.Entry.Unknown))
                {
                    family.Ended |= answers.All(a => a.Entry.Status == 400);
                    return;
                }

                if (clock.Elapsed > ClientRetryBudget)
                {
                    family.Ended = true; // its state is unknown: leave it to the read-back
                    return;
                }

                await Task.Delay(200);
            }
        }
        finally
        {
            family.Gate.Release();
        }
    }

    private async Task ValidateAsync()
    {
        if (Take(live: null) is not { } family)
        {
            return;
        }

        try
        {
            await ValidateAsync(family.Access, Phase.Load, AnyApi());
        }
        finally
        {
            family.Gate.Release();
        }
    }

    private async Task IntrospectAsync()
    {
        if (Take(live: null) is not { } family)
        {
            return;
        }

        try
        {
            var token = Random.Shared.Next(2) == 0 ? family.Access : family.Refresh;
            var asAccess = token == family.Access;
            await CallAsync(Operation.Introspect, Phase.Load, AnyApi(), MixedLoad.Client(HttpMethod.Post, "/v1/oauth/introspect",
                form: new Dictionary<string, string> { ["token"] = token }),
                e => asAccess ? e with { PresentedAccess = token } : e with { PresentedRefresh = token });
        }
        finally
        {
            family.Gate.Release();
        }
    }

    private Task LogoutAsync() => EndSessionAsync(Operation.Logout, f => MixedLoad.Bearer(HttpMethod.Post, "/v1/auth/logout", f.Access), HttpStatusCode.NoContent);

    private Task RevokeAsync() => EndSessionAsync(Operation.Revoke, f => MixedLoad.Client(HttpMethod.Post, "/v1/oauth/revoke",
        form: new Dictionary<string, string> { ["token"] = f.Refresh, ["token_type_hint"] = "refresh_token" }), HttpStatusCode.OK);

    /// <summary>Logout and revocation are idempotent, so an unanswered one is repeated until answered or the budget is spent.</summary>
    private async Task EndSessionAsync(Operation operation, Func<Family, HttpRequestMessage> request, HttpStatusCode done)
    {
        if (Take(live: true) is not { } family)
        {
            return;
        }

        try
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var (entry, _) = await CallAsync(operation, Phase.Load, AnyApi(), request(family),
                    e => operation == Operation.Logout ? e with { PresentedAccess = family.Access } : e with { PresentedRefresh = family.Refresh });
                if (!entry.Unknown || clock.Elapsed > ClientRetryBudget)
                {
                    family.Ended = true;
                    return;
                }

                await Task.Delay(200);
            }
        }
        finally
        {
            family.Gate.Release();
        }
    }

    /// <summary>The reset flow: request the email, take the hash from the pickup directory, set a new password.</summary>
    private async Task ChangePasswordAsync(CancellationToken stop)
    {
        if (Pick(_accounts, a => !a.Uncertain && a.Gate.Wait(0)) is not { } account)
        {
            return;
        }

        try
        {
            var before = Mails(account.Email).ToHashSet(StringComparer.Ordinal);
            var (requested, _) = await CallAsync(Operation.ResetRequest, Phase.Load, AnyApi(), MixedLoad.Client(HttpMethod.Post, "/v1/auth/password/send-reset-email",
                new { shop_id = ProcessCluster.ShopId, email = account.Email, reset_url = ProcessCluster.ResetUrlOrigin + "/reset?token={hash}" }), e => e with { Account = account.Email });
            if (!requested.Acknowledged)
            {
                return;
            }

            string? hash = null;
            await Poll.TryUntilAsync(() => stop.IsCancellationRequested || (hash = Mails(account.Email).Where(f => !before.Contains(f))
                .Select(ReadOrEmpty).Select(text => ResetLink().Match(text)).FirstOrDefault(m => m.Success)?.Groups[1].Value) is not null, TimeSpan.FromSeconds(15));
            if (hash is null)
            {
                return;
            }

            var password = NewPassword();
            var (entry, _) = await CallAsync(Operation.PasswordChange, Phase.Load, AnyApi(), MixedLoad.Client(HttpMethod.Put, "/v1/auth/password/update-by-hash",
                new { shop_id = ProcessCluster.ShopId, hash, password }), e => e with { Account = account.Email, Password = password });
            account.Attempted.Add(password);
            if (entry.Acknowledged)
            {
                account.Password = password;
                AddFamily(account.Email, entry);
            }
            else if (entry.Unknown)
            {
                account.Uncertain = true;
            }
        }
        finally
        {
            account.Gate.Release();
        }
    }

    /// <summary>
    /// With the load stopped and every fault healed: log in to every account with each password it may have, validate
    /// and refresh the latest tokens of every session, then present retired tokens of some (reuse, once the grace
    /// window is over). Unanswered read-back calls are repeated a few times; what stays unanswered stays unverified.
    /// </summary>
    public async Task ReadBackAsync(TimeSpan refreshReuseGrace, int retiredTokenSamples = 40)
    {
        List<Account> accounts;
        List<Family> families;
        lock (_accounts)
        {
            accounts = [.. _accounts];
        }

        lock (_families)
        {
            families = [.. _families];
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 6 };
        await Parallel.ForEachAsync(accounts, parallel, async (account, _) =>
        {
            // Every password the account may have, or had: the current one must work, a replaced one must not. The
            // likely current ones first (the last acknowledged, then the newest attempts): wrong passwords before them
            // would add to failures under the load and throttle the very login that must succeed.
            foreach (var password in account.Attempted.AsEnumerable().Reverse().Prepend(account.Password).Append(account.Original).Distinct(StringComparer.Ordinal).ToList())
            {
                await UntilAnsweredAsync(() => CallAsync(Operation.Login, Phase.ReadBack, AnyApi(), MixedLoad.Client(HttpMethod.Post, "/v1/auth/login",
                    new { email = account.Email, password, shop_id = ProcessCluster.ShopId }), e => e with { Account = account.Email, Password = password }));
            }
        });

        await Parallel.ForEachAsync(families, parallel, async (family, _) =>
        {
            await UntilAnsweredAsync(async () => (await ValidateAsync(family.Access, Phase.ReadBack, AnyApi()), default(JsonElement)));
            await UntilAnsweredAsync(() => CallAsync(Operation.Refresh, Phase.ReadBack, AnyApi(), RefreshRequest(family.Refresh), e => e with { PresentedRefresh = family.Refresh }));
        });

        // Reuse of a retired token revokes its session, so this comes last, and only where the grace window is over.
        var retired = families.Where(f => f.Retired is { } r && DateTime.UtcNow - r.At > refreshReuseGrace + TimeSpan.FromSeconds(1))
            .OrderBy(_ => Random.Shared.Next()).Take(retiredTokenSamples).ToList();
        await Parallel.ForEachAsync(retired, parallel, async (family, _) =>
        {
            var token = family.Retired!.Value.Token;
            await UntilAnsweredAsync(() => CallAsync(Operation.Refresh, Phase.ReadBack, AnyApi(), RefreshRequest(token), e => e with { PresentedRefresh = token }));
        });
    }

    public void Dispose()
    {
        foreach (var (_, http) in _apis)
        {
            http.Dispose();
        }
    }

    private async Task<HistoryEntry> ValidateAsync(string access, Phase phase, (string Name, HttpClient Http) api)
    {
        var (entry, _) = await CallAsync(Operation.Validate, phase, api, MixedLoad.Bearer(HttpMethod.Get, "/v1/oauth/token/validate", access), e => e with { PresentedAccess = access });
        return entry;
    }

    /// <summary>
    /// Repeats a read-back call that got no answer, or was throttled (a throttled login says nothing about its
    /// password; the throttle's first delay is 2 s).
    /// </summary>
    private static async Task<HistoryEntry> UntilAnsweredAsync(Func<Task<(HistoryEntry Entry, JsonElement Body)>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (entry, _) = await call();
            var throttled = entry.Status == (int)HttpStatusCode.TooManyRequests;
            if ((!entry.Unknown && !throttled) || attempt == 9)
            {
                return entry;
            }

            await Task.Delay(throttled ? 3000 : 1000);
        }
    }

    private static HttpRequestMessage RefreshRequest(string token) => MixedLoad.Client(HttpMethod.Post, "/v1/oauth/token",
        form: new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = token });

    /// <summary>Sends one call and records it with what it presented (<paramref name="describe"/>) and what it was given.</summary>
    private async Task<(HistoryEntry Entry, JsonElement Body)> CallAsync(
        Operation operation, Phase phase, (string Name, HttpClient Http) api, HttpRequestMessage request, Func<HistoryEntry, HistoryEntry>? describe = null)
    {
        var start = DateTime.UtcNow;
        int status;
        JsonElement body = default;
        using (request)
        {
            try
            {
                using var response = await api.Http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                status = (int)response.StatusCode;
                if (text.Length > 0 && text[0] == '{')
                {
                    body = JsonDocument.Parse(text).RootElement.Clone();
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                status = 0;
            }
        }

        var entry = new HistoryEntry(operation, phase, api.Name, start, DateTime.UtcNow, status);
        entry = describe?.Invoke(entry) ?? entry;
        if (entry.Acknowledged && body.ValueKind == JsonValueKind.Object)
        {
            entry = entry with
            {
                IssuedRefresh = body.TryGetProperty("refresh_token", out var refresh) ? refresh.GetString() : null,
                IssuedAccess = body.TryGetProperty("access_token", out var access) ? access.GetString() : null,
                Active = operation is Operation.Validate or Operation.Introspect
                    ? !body.TryGetProperty("active", out var active) || active.GetBoolean()
                    : null,
            };
        }
        else if (operation is Operation.Validate or Operation.Introspect && status is 401 or 400)
        {
            entry = entry with { Active = false };
        }

        History.Add(entry);
        return (entry, body);
    }

    private void AddFamily(string? owner, HistoryEntry created)
    {
        lock (_families)
        {
            _families.Add(new Family(owner, created.IssuedRefresh!, created.IssuedAccess!));
        }
    }

    /// <summary>A random session no other operation holds; <paramref name="live"/> null takes ended ones too.</summary>
    private Family? Take(bool? live)
    {
        lock (_families)
        {
            for (var tries = 0; tries < 8 && _families.Count > 0; tries++)
            {
                var family = _families[Random.Shared.Next(_families.Count)];
                if ((live is { } l && family.Ended == l) || !family.Gate.Wait(0))
                {
                    continue;
                }

                return family;
            }
        }

        return null;
    }

    private static T? Pick<T>(List<T> items, Func<T, bool> usable)
        where T : class
    {
        lock (items)
        {
            for (var tries = 0; tries < 8 && items.Count > 0; tries++)
            {
                var item = items[Random.Shared.Next(items.Count)];
                if (usable(item))
                {
                    return item;
                }
            }
        }

        return null;
    }

    private (string Name, HttpClient Http) AnyApi() => _apis[Interlocked.Increment(ref _next) % _apis.Count];

    private IEnumerable<string> Mails(string email) =>
        Directory.Exists(_pickupDirectory)
            ? Directory.EnumerateFiles(_pickupDirectory, "*.eml").Where(f => ReadOrEmpty(f).Contains($"To: {email}\r\n", StringComparison.Ordinal))
            : [];

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return ""; // still being written
        }
    }

    private static string NewPassword() => $"violet-staple-orbit-{Random.Shared.Next(100_000, 999_999)}";

    [GeneratedRegex("token=([A-Za-z0-9_-]{43})")]
    private static partial Regex ResetLink();

    private sealed class Account(string email, string password)
    {
        public string Email { get; } = email;

        /// <summary>The password of the registration.</summary>
        public string Original { get; } = password;

        /// <summary>The password the last acknowledged registration or change set.</summary>
        public string Password { get; set; } = password;

        /// <summary>Every password a change tried to set, acknowledged or not, in order.</summary>
        public List<string> Attempted { get; } = [];

        /// <summary>A registration or change got no answer: logins under the load leave it alone.</summary>
        public bool Uncertain { get; set; }

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    private sealed class Family(string? owner, string refresh, string access)
    {
        private string _refresh = refresh;

        public string? Owner { get; } = owner;

        public string Refresh
        {
            get => _refresh;
            set
            {
                if (value != _refresh)
                {
                    Retired = (_refresh, DateTime.UtcNow);
                    _refresh = value;
                }
            }
        }

        public string Access { get; set; } = access;

        /// <summary>The latest token it rotated away from, and when the driver saw the successor.</summary>
        public (string Token, DateTime At)? Retired { get; private set; }

        /// <summary>Logged out, revoked or in an unknown state: only validated and introspected any more.</summary>
        public bool Ended { get; set; }

        /// <summary>One operation at a time per session, so the driver always knows its latest tokens.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }
}
