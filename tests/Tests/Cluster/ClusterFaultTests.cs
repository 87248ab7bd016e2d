using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Npgsql;
using Xunit.Abstractions;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// Fault tests with real processes: PostgreSQL, three silos and two API nodes in <c>Client</c> mode on loopback,
/// under a steady mixed load through both API nodes. Each test gets a fresh database and cluster id.
/// </summary>
[Collection(MeasuredAlone.Name)]
[ProcessLevel]
public sealed class ClusterFaultTests(ITestOutputHelper output, ClusterServer server)
{
    private const int Workers = 6;

    /// <summary>Sessions the load must have made before a fault: grains of every kind live on every silo by then.</summary>
    private const int WarmSessions = 50;

    // What these tests measure is how long failures last (or that there are none), so after a fault the load keeps
    // running for a fixed observation window: no condition can say that no failure is still to come.
    private static readonly TimeSpan ObservationAfterFault = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ObservationAfterRecovery = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public async Task KillSilo_UnderMixedLoad_NothingLostAndFailuresLastSeconds()
    {
        await using var cluster = await ProcessCluster.CreateAsync(await server.GetAsync(), "kill");
        await WithDiagnosticsAsync(cluster, async () =>
        {
            // Arrange
            await cluster.StartAsync(silos: 3, apis: 2);
            using var load = new MixedLoad(cluster.Apis);
            using var stop = new CancellationTokenSource();
            var running = load.RunAsync(Workers, stop.Token);
            await WarmUpAsync(load, running);

            // Act
            var victim = cluster.Silos[1];
            var faultAt = DateTime.UtcNow;
            cluster.Kill(victim);
            var declaredDead = await WaitForStatusAsync(cluster, victim, SiloStatus.Dead, TimeSpan.FromSeconds(60)) - faultAt;
            await Task.Delay(faultAt + ObservationAfterFault - DateTime.UtcNow);
            await stop.CancelAsync();
            await running;
            var window = load.Measure(faultAt);
            var problems = await load.VerifyAsync();

            // Assert
            Report($"kill -9 of 1 of 3 silos: declared dead after {Seconds(declaredDead)} s; {window}; " +
                $"{load.AccountCount} accounts, {load.SessionCount} sessions checked afterwards ({load.UncertainCount} left uncertain)");
            Assert.Empty(load.Violations);
            Assert.Empty(problems);
            Assert.True(declaredDead < TimeSpan.FromSeconds(10), $"declared dead only after {declaredDead}");
            Assert.True(window.Window < TimeSpan.FromSeconds(10), $"requests failed for {window.Window}");
        });
    }

    [SkippableFact]
    public async Task TerminateSilo_RollingDeployUnderMixedLoad_NoRequestFails()
    {
        await using var cluster = await ProcessCluster.CreateAsync(await server.GetAsync(), "sigterm");
        await WithDiagnosticsAsync(cluster, async () =>
        {
            // Arrange
            await cluster.StartAsync(silos: 3, apis: 2);
            using var load = new MixedLoad(cluster.Apis);
            using var stop = new CancellationTokenSource();
            var running = load.RunAsync(Workers, stop.Token);
            await WarmUpAsync(load, running);

            // Act: replace one silo as a rolling deploy does — SIGTERM, wait for it to leave, start its successor.
            var victim = cluster.Silos[1];
            var faultAt = DateTime.UtcNow;
            var exitCode = await cluster.TerminateAsync(victim, TimeSpan.FromSeconds(40));
            var shutdown = DateTime.UtcNow - faultAt;
            var status = (await cluster.SiloStatusesAsync()).GetValueOrDefault(victim.Endpoint);
            cluster.StartSilo();
            await cluster.WaitForActiveSilosAsync(3, TimeSpan.FromSeconds(60));
            await Task.Delay(ObservationAfterRecovery);
            await stop.CancelAsync();
            await running;
            var window = load.Measure(faultAt);
            var problems = await load.VerifyAsync();

            // Assert
            Report($"SIGTERM of 1 of 3 silos (rolling deploy): shut down in {Seconds(shutdown)} s, exit code {exitCode}, membership {status}; {window}");
            Assert.Equal(0, exitCode);
            Assert.Equal(SiloStatus.Dead, status);
            Assert.Empty(load.Violations);
            Assert.Empty(problems);
            Assert.Equal(0, window.Failed);
        });
    }

    [SkippableFact]
    public async Task RestartAllSilos_AfterLoad_AllDataIntactAndApisReconnect()
    {
        await using var cluster = await ProcessCluster.CreateAsync(await server.GetAsync(), "restart");
        await WithDiagnosticsAsync(cluster, async () =>
        {
            // Arrange
            await cluster.StartAsync(silos: 3, apis: 2);
            using var load = new MixedLoad(cluster.Apis);
            using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8)))
            {
                await load.RunAsync(Workers, stop.Token);
            }

            // Act: every silo goes; new ones come up; the API nodes stay and must find them on their own.
            var restartAt = DateTime.UtcNow;
            var old = cluster.Silos.ToList();
            var exitCodes = await Task.WhenAll(old.Select(s => cluster.TerminateAsync(s, TimeSpan.FromSeconds(40))));
            for (var i = 0; i < old.Count; i++)
            {
                cluster.StartSilo();
            }

            await cluster.WaitForActiveSilosAsync(3, TimeSpan.FromSeconds(90));
            foreach (var api in cluster.Apis)
            {
                await cluster.WaitReadyAsync(api, TimeSpan.FromSeconds(60));
            }

            var serving = DateTime.UtcNow - restartAt;
            var problems = await load.VerifyAsync();

            // Assert
            Report($"full restart of 3 silos: API nodes serving again {Seconds(serving)} s after the first SIGTERM; " +
                $"{load.AccountCount} accounts and {load.SessionCount} sessions checked afterwards");
            Assert.All(exitCodes, code => Assert.Equal(0, code));
            Assert.Empty(load.Violations);
            Assert.Empty(problems);
        });
    }

    [SkippableFact]
    public async Task StopPostgreSql_For10Seconds_QuickUnavailableInMemoryValidationAndFullRecovery()
    {
        Skip.IfNot(ThrowawayPostgres.IsInstalled, "this test stops and starts a PostgreSQL server of its own, and PostgreSQL's server binaries are not installed");
        await using var postgres = await ThrowawayPostgres.StartAsync();
        await using var cluster = await ProcessCluster.CreateAsync(postgres.ConnectionString, "pgdown");
        await WithDiagnosticsAsync(cluster, async () =>
        {
            // Arrange
            await cluster.StartAsync(silos: 3, apis: 2);
            using var load = new MixedLoad(cluster.Apis);
            using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                var running = load.RunAsync(Workers, stop.Token);
                await WaitUntilAsync(() => Task.FromResult(load.Sessions(revoked: false).Count >= 50 || running.IsCompleted), TimeSpan.FromSeconds(35));
                await stop.CancelAsync();
                await running;
            }

            var active = load.Sessions(revoked: false);
            var validated = active.Take(40).ToList();
            var refreshed = active.Skip(40).Take(10).ToList();
            Assert.True(refreshed.Count > 0, $"only {active.Count} active sessions");
            foreach (var session in validated)
            {
                // Activates each session grain, so its state is in memory when the database goes.
                var (status, _) = await load.SendAsync(0, "warm", MixedLoad.Bearer(HttpMethod.Get, "/v1/oauth/token/validate", session.AccessToken));
                Assert.Equal(HttpStatusCode.OK, status);
            }

            // Act
            var outageAt = DateTime.UtcNow;
            await postgres.PauseAsync();
            var outcomes = new List<(string Operation, HttpStatusCode Status, TimeSpan Latency)>();
            var round = 0;
            while (DateTime.UtcNow - outageAt < TimeSpan.FromSeconds(10))
            {
                var api = round++ % 2;
                foreach (var session in validated.Skip(round % 4 * 10).Take(10))
                {
                    outcomes.Add(await TimedAsync("validate", () => load.SendAsync(api, "outage-validate",
                        MixedLoad.Bearer(HttpMethod.Get, "/v1/oauth/token/validate", session.AccessToken))));
                }

                outcomes.Add(await TimedAsync("guest", () => load.SendAsync(api, "outage-guest", MixedLoad.Client(HttpMethod.Post, "/v1/auth/login/guest",
                    new { first_name = "Grace", last_name = "Hopper", email = TestApi.UniqueEmail("outage"), shop_id = ProcessCluster.ShopId }))));
                outcomes.Add(await TimedAsync("register", () => load.SendAsync(api, "outage-register", MixedLoad.Client(HttpMethod.Post, "/v1/auth/register",
                    new { first_name = "Ada", last_name = "Lovelace", email = TestApi.UniqueEmail("outage"), password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }))));
                var victim = refreshed[round % refreshed.Count];
                outcomes.Add(await TimedAsync("refresh", () => load.SendAsync(api, "outage-refresh", MixedLoad.Client(HttpMethod.Post, "/v1/oauth/token",
                    form: new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = victim.RefreshToken }))));
                outcomes.Add(await TimedAsync("ready", async () =>
                {
                    using var http = new HttpClient { BaseAddress = cluster.Apis[api].BaseAddress };
                    using var response = await http.GetAsync("/health/ready");
                    return (response.StatusCode, default(JsonElement));
                }));
            }

            await postgres.ResumeAsync();
            var resumedAt = DateTime.UtcNow;
            await WaitUntilAsync(async () => (await load.SendAsync(0, "recovery-guest", MixedLoad.Client(HttpMethod.Post, "/v1/auth/login/guest",
                new { first_name = "Grace", last_name = "Hopper", email = TestApi.UniqueEmail("back"), shop_id = ProcessCluster.ShopId }))).Status == HttpStatusCode.Created,
                TimeSpan.FromSeconds(60));
            var recovery = DateTime.UtcNow - resumedAt;
            foreach (var api in cluster.Apis)
            {
                await cluster.WaitReadyAsync(api, TimeSpan.FromSeconds(30));
            }

            using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4)))
            {
                await load.RunAsync(Workers, stop.Token);
            }

            var problems = await load.VerifyAsync();

            // Assert
            var byOperation = outcomes.GroupBy(o => o.Operation).ToDictionary(g => g.Key, g => g.ToList());
            string Summary(string operation) => string.Create(CultureInfo.InvariantCulture,
                $"{operation} {string.Join("/", byOperation[operation].GroupBy(o => (int)o.Status).Select(g => $"{g.Key}×{g.Count()}"))} (max {byOperation[operation].Max(o => o.Latency).TotalMilliseconds:F0} ms)");
            Report($"PostgreSQL down for {Seconds(resumedAt - outageAt)} s: {Summary("validate")}, {Summary("guest")}, {Summary("register")}, " +
                $"{Summary("refresh")}, {Summary("ready")}; writes served again {Seconds(recovery)} s after it came back");
            Assert.All(byOperation["validate"], o => Assert.Equal(HttpStatusCode.OK, o.Status));
            foreach (var operation in new[] { "guest", "register", "refresh" })
            {
                Assert.All(byOperation[operation], o => Assert.Equal(HttpStatusCode.ServiceUnavailable, o.Status));
            }

            // Still connected to the cluster and still validating: ready (reported degraded), not taken out of rotation.
            Assert.All(byOperation["ready"], o => Assert.Equal(HttpStatusCode.OK, o.Status));

            // Quick: at most the client's response timeout (5 s) plus scheduling slack, never a hang.
            Assert.All(outcomes, o => Assert.True(o.Latency < TimeSpan.FromSeconds(6.5), $"{o.Operation} took {o.Latency}"));
            Assert.Empty(load.Violations);
            Assert.Empty(problems);
        });
    }

    /// <summary>
    /// A silo told to stop while it cannot reach PostgreSQL cannot record its departure in the membership table and
    /// used to keep trying for minutes; it must leave within <c>Cluster:ShutdownTimeout</c> + 5 s, before Kubernetes'
    /// grace period ends in a hard kill.
    /// </summary>
    [SkippableFact]
    public async Task TerminateSilo_WhilePostgreSqlIsDown_ExitsWithinShutdownTimeout()
    {
        Skip.IfNot(ThrowawayPostgres.IsInstalled, "this test stops and starts a PostgreSQL server of its own, and PostgreSQL's server binaries are not installed");
        await using var postgres = await ThrowawayPostgres.StartAsync();
        await using var cluster = await ProcessCluster.CreateAsync(postgres.ConnectionString, "sigterm-pgdown");
        var shutdownTimeout = TimeSpan.FromSeconds(5);
        cluster.Overrides["Cluster__ShutdownTimeout"] = shutdownTimeout.ToString("c", CultureInfo.InvariantCulture);
        cluster.Overrides["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        await WithDiagnosticsAsync(cluster, async () =>
        {
            // Arrange: started through and through (its start-up tasks write too), then the database goes.
            await cluster.StartAsync(silos: 1, apis: 0);
            var silo = cluster.Silos[0];
            await Poll.UntilAsync(() => silo.Process.Tail(400).Contains("Application started", StringComparison.Ordinal), "the silo's start-up to finish");
            await postgres.PauseAsync();

            // Act
            var stopwatch = Stopwatch.StartNew();
            var exitCode = await cluster.TerminateAsync(silo, TimeSpan.FromSeconds(120));
            var took = stopwatch.Elapsed;

            // Assert
            Report($"SIGTERM of a silo while PostgreSQL is down: exited in {Seconds(took)} s with {exitCode} (Cluster:ShutdownTimeout {shutdownTimeout.TotalSeconds:F0} s)");
            Assert.True(took < shutdownTimeout + TimeSpan.FromSeconds(5), $"took {took}");
        });
    }

    [SkippableFact]
    public async Task ApiStart_BeforeAnySilo_KeepsRetryingNotReadyThenServes()
    {
        await using var cluster = await ProcessCluster.CreateAsync(await server.GetAsync(), "apifirst");
        await WithDiagnosticsAsync(cluster, async () =>
        {
            // Arrange
            var api = cluster.StartApi();
            using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            await WaitUntilAsync(async () => await StatusAsync(http, "/health/live") == HttpStatusCode.OK, TimeSpan.FromSeconds(60));

            // Act
            // Sampled over three seconds: it must stay not-ready while it keeps retrying, not just once.
            var notReady = new List<HttpStatusCode>();
            for (var i = 0; i < 6; i++)
            {
                notReady.Add(await StatusAsync(http, "/health/ready"));
                await Task.Delay(500);
            }

            using var beforeCluster = await http.SendAsync(MixedLoad.Client(HttpMethod.Post, "/v1/auth/login",
                new { email = TestApi.UniqueEmail("early"), password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));
            var aliveWithoutCluster = !api.Process.HasExited;
            cluster.StartSilo();
            await cluster.WaitReadyAsync(api, TimeSpan.FromSeconds(60));
            using var load = new MixedLoad(cluster.Apis);
            await load.RegisterAsync((api.Process.Name, http));

            // Assert
            Assert.All(notReady, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, beforeCluster.StatusCode); // not a 500: the cluster is not there yet
            Assert.True(aliveWithoutCluster);
            Assert.Equal(1, load.AccountCount);
            Assert.Empty(load.Violations);
        });
    }

    [SkippableFact]
    public async Task EtagConflict_OnLoginAndRefresh_BothRetriedOnAFreshActivation()
    {
        await using var cluster = await ProcessCluster.CreateAsync(await server.GetAsync(), "etag");
        await WithDiagnosticsAsync(cluster, async () =>
        {
            // Arrange
            await cluster.StartAsync(silos: 1, apis: 1);
            using var load = new MixedLoad(cluster.Apis);
            var email = TestApi.UniqueEmail("etag");
            var (registered, tokens) = await load.SendAsync(0, "register", MixedLoad.Client(HttpMethod.Post, "/v1/auth/register",
                new { first_name = "Ada", last_name = "Lovelace", email, password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));
            Assert.Equal(HttpStatusCode.Created, registered);
            var subject = SubjectOf(tokens.GetProperty("access_token").GetString()!);

            // Act: another writer (as a duplicate activation would) moves the customer's and the session's ETags on.
            Assert.Equal(1, await BumpVersionAsync(cluster, $"%{email}%", "%passwordhash%"));
            var (conflicted, conflictBody) = await load.SendAsync(0, "login", MixedLoad.Client(HttpMethod.Post, "/v1/auth/login",
                new { email, password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));
            var (again, _) = await load.SendAsync(0, "login", MixedLoad.Client(HttpMethod.Post, "/v1/auth/login",
                new { email, password = TestApi.GoodPassword, shop_id = ProcessCluster.ShopId }));

            Assert.Equal(1, await BumpVersionAsync(cluster, $"%{subject}%", "%currentdigest%", tokensOfSessionCreatedFirst: true));
            var presented = tokens.GetProperty("refresh_token").GetString()!;
            var refresh = () => load.SendAsync(0, "refresh", MixedLoad.Client(HttpMethod.Post, "/v1/oauth/token",
                form: new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = presented }));
            var (refreshed, successor) = await refresh();
            var (repeated, sameSuccessor) = await refresh();

            // Assert
            // The login's session id was picked by the API, so the repeat on a fresh activation (which reads the
            // other writer's state) completes that one session instead of refusing.
            Assert.Equal(HttpStatusCode.OK, conflicted);
            Assert.True(conflictBody.TryGetProperty("access_token", out _));
            Assert.Equal(HttpStatusCode.OK, again);
            Assert.Equal(HttpStatusCode.OK, refreshed);
            Assert.Equal(HttpStatusCode.OK, repeated);
            Assert.Equal(successor.GetProperty("refresh_token").GetString(), sameSuccessor.GetProperty("refresh_token").GetString());
        });
    }

    [SkippableFact]
    public async Task SchemaApply_FreshDatabaseTwice_IdempotentAndPrintsNoSecret()
    {
        const string password = "do-not-print-this-password-42";
        var withPassword = new NpgsqlConnectionStringBuilder(await server.GetAsync()) { Password = password }.ConnectionString;
        await using var cluster = await ProcessCluster.CreateAsync(withPassword, "schema");

        // Act: CreateAsync applied it once already; a second run must change nothing.
        var (exitCode, text) = await cluster.RunSiloCommandAsync("schema", "apply");

        // Assert
        Assert.Equal(0, exitCode);
        Assert.Contains("up to date", text, StringComparison.Ordinal);
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", text, StringComparison.OrdinalIgnoreCase);
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM authcluster_schema_migrations", connection);
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }

    private static async Task<int> BumpVersionAsync(ProcessCluster cluster, string identifying, string kind, bool tokensOfSessionCreatedFirst = false)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        // The first session of the subject is the one registration started; later logins added others.
        var sql = $"""
            UPDATE orleans_grain_state SET version = version + 1
            WHERE ctid IN (
                SELECT ctid FROM orleans_grain_state
                WHERE convert_from(payload, 'UTF8') ILIKE @identifying AND convert_from(payload, 'UTF8') ILIKE @kind
                ORDER BY {(tokensOfSessionCreatedFirst ? "convert_from(payload, 'UTF8')::json->>'CreatedAt'" : "version")} LIMIT 1)
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("identifying", identifying);
        command.Parameters.AddWithValue("kind", kind);
        return await command.ExecuteNonQueryAsync();
    }

    private static string SubjectOf(string jwt)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        return JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload))).RootElement.GetProperty("sub").GetString()!;
    }

    private async Task WithDiagnosticsAsync(ProcessCluster cluster, Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            output.WriteLine(cluster.Diagnostics());
            throw;
        }
    }

    /// <summary>To the test output and to stdout (and a file .ci/run prints), so that CI logs show the measured costs.</summary>
    private void Report(string line)
    {
        output.WriteLine(line);
        Console.WriteLine("[cluster-fault] " + line);
        var path = Path.Combine(Binaries.RepositoryRoot, "TestResults", "cluster-faults.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.AppendAllText(path, $"{DateTime.UtcNow:u} {line}{Environment.NewLine}");
    }

    private static async Task<DateTime> WaitForStatusAsync(ProcessCluster cluster, SiloNode silo, SiloStatus status, TimeSpan timeout)
    {
        await WaitUntilAsync(async () => (await cluster.SiloStatusesAsync()).GetValueOrDefault(silo.Endpoint) == status, timeout, TimeSpan.FromMilliseconds(100));
        return DateTime.UtcNow;
    }

    /// <summary>Waits until the load is in full swing (enough sessions made), not for a guessed time.</summary>
    private static Task WarmUpAsync(MixedLoad load, Task running) =>
        WaitUntilAsync(() => Task.FromResult(load.SessionCount >= WarmSessions || running.IsCompleted), TimeSpan.FromSeconds(60));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {timeout}.");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(250));
        }
    }

    private static async Task<(string, HttpStatusCode, TimeSpan)> TimedAsync(string operation, Func<Task<(HttpStatusCode Status, JsonElement Body)>> call)
    {
        var timer = Stopwatch.StartNew();
        var (status, _) = await call();
        return (operation, status, timer.Elapsed);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture);
}
