using System.Net;
using System.Text.Json;
using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Data.Sqlite;

namespace AuthCluster.Tests.Import;

/// <summary>The running single-node service on SQLite, into which the tests import while it serves.</summary>
public sealed class SqliteApiFixture : IAsyncLifetime
{
    public AuthApiFactory Factory { get; } = new(new Dictionary<string, string?> { ["Storage:Provider"] = "Sqlite" });

    public Task InitializeAsync()
    {
        _ = Factory.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>
/// <c>customers import</c> and <c>customers export</c> against the single node's SQLite file while the service runs,
/// checked through the HTTP API: imported customers log in with the password their old system knew, and their hash
/// is upgraded at that first login.
/// </summary>
public sealed class CustomerImportTests(SqliteApiFixture api) : IClassFixture<SqliteApiFixture>
{
    private readonly AuthApiFactory _factory = api.Factory;

    public static TheoryData<string, string, string> HashesOfOtherSystems() => new()
    {
        // PHP manual, password_verify() example.
        { "bcrypt ($2y$, PHP)", "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", "rasmuslerdorf" },
        { "bcrypt ($2b$, BCrypt.Net)", BCrypt.Net.BCrypt.HashPassword("ñandú-über-straße", BCrypt.Net.BCrypt.GenerateSalt(5, 'b')), "ñandú-über-straße" },
        { "ASP.NET Core Identity v3", new PasswordHasher<object>().HashPassword(new object(), "correct horse battery staple"), "correct horse battery staple" },
        {
            "ASP.NET Core Identity v2",
            new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }))
                .HashPassword(new object(), "short1"),
            "short1"
        },
        // Django's test vectors (made with django.contrib.auth.hashers).
        { "Django PBKDF2-SHA256", "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "lètmein" },
        {
            "Django PBKDF2-SHA512",
            "pbkdf2_sha512$120000$Zk3xq9RrT1vB6nYw2aPc0d$E/0rKX/FyNtvthxVxZLhFK9iil0tV7Vrbi2ZJ45PZSmkHmZGSFnpRh+Y4+Vz6MIiKjbODoUhtLwyen8q8xg4fw==",
            "correct horse battery staple"
        },
        // The reference implementation's CLI: echo -n 'lètmein-argon' | argon2 saltysalt16bytes -id -t 2 -m 12 -p 1 -e
        { "argon2id", "$argon2id$v=19$m=4096,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "lètmein-argon" },
    };

    [Theory]
    [MemberData(nameof(HashesOfOtherSystems))]
    public async Task Login_ImportedHash_RightPasswordOnlyAndUpgradedAtFirstLogin(string format, string hash, string password)
    {
        var email = TestApi.UniqueEmail("imported");
        var http = _factory.ClientFor();

        var import = await ImportAsync(AdminCli.Line(email, hash));
        using var wrong = await http.LoginAsync(email, password + "x");
        var storedBefore = await ExportedHashAsync(email);
        using var right = await http.LoginAsync(email, password);
        var storedAfter = await ExportedHashAsync(email);
        using var again = await http.LoginAsync(email, password);
        using var wrongAfter = await http.LoginAsync(email, password + "x");

        Assert.True(import.ExitCode == 0, $"{format}: {import.Error}");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(hash, storedBefore);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.StartsWith("authcluster-bcrypt-sha384:$2", storedAfter, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAfter.StatusCode);
    }

    [Fact]
    public async Task Login_ExportedAuthClusterHash_LogsInWithoutUpgrade()
    {
        using var hasher = new BcryptPasswordHasher(Options.Create(new AuthOptions { Passwords = { BcryptCost = 4 } }));
        var own = "authcluster-bcrypt-sha384:" + await hasher.HashAsync(TestApi.GoodPassword);
        var email = TestApi.UniqueEmail("own");

        var import = await ImportAsync(AdminCli.Line(email, own));
        using var login = await _factory.ClientFor().LoginAsync(email);

        Assert.Equal(0, import.ExitCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(own, await ExportedHashAsync(email));
    }

    [Fact]
    public async Task Login_ImportedWithoutPassword_RefusedUntilSetThroughReset()
    {
        var email = TestApi.UniqueEmail("nopassword");
        var http = _factory.ClientFor();

        await ImportAsync(AdminCli.Line(email));
        using var before = await http.LoginAsync(email, "anything-at-all");
        var hash = await _factory.RequestHashAsync(http, email);
        using var reset = await http.UpdateByHashAsync(hash, TestApi.GoodPassword);
        using var after = await http.LoginAsync(email);

        Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Import_PasswordShorterThanPolicy_LogsInUntilChanged()
    {
        // The old system allowed six characters; the policy (eight) applies only to a password set here.
        var email = TestApi.UniqueEmail("short");
        await ImportAsync(AdminCli.Line(email, BCrypt.Net.BCrypt.HashPassword("abc123", 4)));

        using var login = await _factory.ClientFor().LoginAsync(email, "abc123");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Import_SameFileTwice_SecondRunChangesNothing()
    {
        var emails = Enumerable.Range(0, 5).Select(_ => TestApi.UniqueEmail("rerun")).ToList();
        var file = AdminCli.WriteLines([.. emails.Select(e => AdminCli.Line(e, BCrypt.Net.BCrypt.HashPassword("pw-" + e, 4)))]);

        var first = await RunAsync("customers", "import", file, "--json");
        var rowsAfterFirst = await RowsAsync();
        var second = await RunAsync("customers", "import", file, "--json");
        var rowsAfterSecond = await RowsAsync();

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(5, first.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(0, second.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(5, second.OutJson.GetProperty("skipped").GetProperty("already_imported").GetInt64());
        Assert.Equal(rowsAfterFirst.Where(r => emails.Any(e => r.Contains(e, StringComparison.Ordinal))), rowsAfterSecond.Where(r => emails.Any(e => r.Contains(e, StringComparison.Ordinal))));
        Assert.Equal("", second.Error.Split('\n', 2)[1]);
    }

    [Fact]
    public async Task Import_BadLines_ReportedWithNumberAndReasonWithoutHashAndOthersImported()
    {
        const string damagedHash = "pbkdf2_sha256$10$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";
        var good = TestApi.UniqueEmail("good");
        var file = AdminCli.WriteLines(
            AdminCli.Line(TestApi.UniqueEmail("bad"), damagedHash),
            "{not json",
            AdminCli.Line("no-at-sign.example.com"),
            AdminCli.Line(good, "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"),
            """{"shop_id": 1, "email": "x@example.com", "first_name": "X", "last_name": "Y", "passwordhash": "secret-value"}""");

        var run = await RunAsync("customers", "import", file, "--json");
        using var login = await _factory.ClientFor().LoginAsync(good, "rasmuslerdorf");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("\"line\":1,\"outcome\":\"rejected\",\"field\":\"password_hash\"", run.Error, StringComparison.Ordinal);
        Assert.Contains("\"line\":2,\"outcome\":\"rejected\",\"field\":\"line\"", run.Error, StringComparison.Ordinal);
        Assert.Contains("\"line\":3,\"outcome\":\"rejected\",\"field\":\"email\"", run.Error, StringComparison.Ordinal);
        Assert.Contains("\"line\":5,\"outcome\":\"rejected\",\"field\":\"passwordhash\"", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("YlZ2Vggtqdc61", run.Error + run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value", run.Error + run.Out, StringComparison.Ordinal);
        Assert.Equal(1, run.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(4, run.OutJson.GetProperty("rejected").GetProperty("total").GetInt64());
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Import_EmailOfRegisteredAccount_SkippedAndReported_UpdateChangesProfileButNotItsPassword()
    {
        var email = TestApi.UniqueEmail("registered");
        var http = _factory.ClientFor();
        await http.RegisteredAsync(email);
        var upper = email.ToUpperInvariant();
        var file = AdminCli.WriteLines(AdminCli.Line(upper, BCrypt.Net.BCrypt.HashPassword("old-system-password", 4), firstName: "Imported", externalId: "ext-9"));

        var skip = await RunAsync("customers", "import", file);
        var update = await RunAsync("customers", "import", file, "--update", "--json");
        var updateAgain = await RunAsync("customers", "import", file, "--update", "--json");
        var exported = (await ExportAsync()).Single(l => l.GetProperty("email").GetString() == upper);
        var ownPassword = await LoginUntilAnsweredAsync(http, email, TestApi.GoodPassword);
        var oldSystemPassword = await LoginUntilAnsweredAsync(http, email, "old-system-password");

        Assert.Equal(0, skip.ExitCode);
        Assert.Contains("line 1: skipped: an account with this email exists", skip.Error, StringComparison.Ordinal);
        Assert.Equal(1, update.OutJson.GetProperty("updated").GetInt64());
        Assert.Equal(1, updateAgain.OutJson.GetProperty("skipped").GetProperty("unchanged").GetInt64());
        Assert.Equal("Imported", exported.GetProperty("first_name").GetString());
        Assert.Equal("ext-9", exported.GetProperty("external_id").GetString());
        Assert.Equal(HttpStatusCode.OK, ownPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, oldSystemPassword);
    }

    [Fact]
    public async Task Import_UpdateOfImportedAccountNotYetLoggedIn_ReplacesItsHash()
    {
        var email = TestApi.UniqueEmail("resync");
        await ImportAsync(AdminCli.Line(email, BCrypt.Net.BCrypt.HashPassword("first-password", 4)));

        var update = await RunAsync("customers", "import", AdminCli.WriteLines(AdminCli.Line(email, BCrypt.Net.BCrypt.HashPassword("changed-password", 4))), "--update");
        using var first = await _factory.ClientFor().LoginAsync(email, "first-password");
        using var changed = await _factory.ClientFor().LoginAsync(email, "changed-password");

        Assert.Equal(0, update.ExitCode);
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task Import_EmailWithOnlyFailedLoginsOnRecord_ImportsThroughItsRowAndLogsIn()
    {
        // A failed login for an email without an account leaves a throttle row (and a live grain): the import must
        // take that row over, and the grain must not answer from what it read before.
        var email = TestApi.UniqueEmail("throttled");
        var http = _factory.ClientFor();
        using var unknown = await http.LoginAsync(email, "guess");

        var run = await RunAsync("customers", "import", AdminCli.WriteLines(AdminCli.Line(email, BCrypt.Net.BCrypt.HashPassword("rightful", 4))), "--json");
        var status = await LoginUntilAnsweredAsync(http, email, "rightful");

        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(1, run.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task ImportExportImport_IntoAnotherNode_RoundTripsEveryField()
    {
        var lines = new[]
        {
            """{"shop_id": 2, "email": "Round.Trip@Example.com", "first_name": "Zoë", "last_name": "O'Brien", "gender": "f", "password_hash": "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", "created_at": "2019-07-08T09:10:11.123+02:00", "external_id": "shop-77"}""",
            """{"shop_id": 2, "email": "second@example.com", "first_name": "Sam", "last_name": "Lee", "created_at": "2020-01-01T00:00:00Z"}""",
        };
        await using var source = NewNode();
        await using var target = NewNode();
        _ = source.Server;
        _ = target.Server;
        var imported = await AdminCli.RunAsync(["customers", "import", AdminCli.WriteLines(lines), .. AdminCli.StoreOf(source)]);
        using var upgraded = await source.ClientFor().LoginAsync("round.trip@example.com", "rasmuslerdorf", shopId: 2);

        var first = await AdminCli.RunAsync(["customers", "export", "--shop", "2", .. AdminCli.StoreOf(source)]);
        var exported = AdminCli.WriteLines([.. first.DataLines.Select(l => l.GetRawText())]);
        var reimport = await AdminCli.RunAsync(["customers", "import", exported, "--json", .. AdminCli.StoreOf(target)]);
        var second = await AdminCli.RunAsync(["customers", "export", "--shop", "2", .. AdminCli.StoreOf(target)]);
        using var movedLogin = await target.ClientFor().LoginAsync("round.trip@example.com", "rasmuslerdorf", shopId: 2);

        Assert.True(imported.ExitCode == 0, imported.Error);
        Assert.Equal(HttpStatusCode.OK, upgraded.StatusCode);
        Assert.Equal(2, reimport.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(Sorted(first.DataLines), Sorted(second.DataLines));
        var zoe = first.DataLines.Single(l => l.GetProperty("email").GetString() == "Round.Trip@Example.com");
        Assert.Equal("2019-07-08T07:10:11.123+00:00", zoe.GetProperty("created_at").GetString());
        Assert.Equal("shop-77", zoe.GetProperty("external_id").GetString());
        Assert.StartsWith("authcluster-bcrypt-sha384:", zoe.GetProperty("password_hash").GetString(), StringComparison.Ordinal);
        Assert.False(first.DataLines.Single(l => l.GetProperty("email").GetString() == "second@example.com").TryGetProperty("password_hash", out _));
        Assert.Equal(HttpStatusCode.OK, movedLogin.StatusCode);
        Assert.Equal(Subject(await upgraded.TokensAsync()), Subject(await movedLogin.TokensAsync()));

        static IEnumerable<string> Sorted(IEnumerable<JsonElement> lines) => lines.Select(l => l.GetRawText()).Order(StringComparer.Ordinal);
    }

    [Fact]
    public async Task Import_FromStandardInput_Imports()
    {
        var email = TestApi.UniqueEmail("stdin");

        var run = await AdminCli.RunAsync(["customers", "import", "-", "--json", .. AdminCli.StoreOf(_factory)], stdin: AdminCli.Line(email) + "\n");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(1, run.OutJson.GetProperty("imported").GetInt64());
    }

    [Fact]
    public async Task Import_ErrorIsTerminal_DrawsProgressWithRateAndEta()
    {
        var file = AdminCli.WriteLines([.. Enumerable.Range(0, 20_000).Select(i => AdminCli.Line(TestApi.UniqueEmail("bar")))]);

        var run = await AdminCli.RunAsync(["customers", "import", file, .. AdminCli.StoreOf(_factory)], errorIsTerminal: true);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("lines", run.Error, StringComparison.Ordinal);
        Assert.Contains("ETA", run.Error, StringComparison.Ordinal);
    }

    private static string Subject(TokenResponseDto tokens) =>
        JsonDocument.Parse(Convert.FromBase64String(Pad(tokens.AccessToken.Split('.')[1]))).RootElement.GetProperty("sub").GetString()!;

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text + new string('=', (4 - (text.Length % 4)) % 4);
    }

    private static AuthApiFactory NewNode() => new(new Dictionary<string, string?> { ["Storage:Provider"] = "Sqlite" });

    private static async Task<HttpStatusCode> LoginUntilAnsweredAsync(HttpClient http, string email, string password)
    {
        // A grain that read its row before the import changed it fails its next write (ETag) and reloads: that one
        // request answers 503, never from the old state.
        for (var attempt = 0; ; attempt++)
        {
            using var response = await http.LoginAsync(email, password);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 2)
            {
                return response.StatusCode;
            }
        }
    }

    private async Task<CliRun> ImportAsync(string line)
    {
        var run = await RunAsync("customers", "import", AdminCli.WriteLines(line));
        Assert.True(run.ExitCode == 0, run.Error);
        return run;
    }

    private Task<CliRun> RunAsync(params string[] args) => AdminCli.RunAsync([.. args, .. AdminCli.StoreOf(_factory)]);

    private async Task<IReadOnlyList<JsonElement>> ExportAsync() => (await RunAsync("customers", "export")).DataLines;

    private async Task<string?> ExportedHashAsync(string email) =>
        (await ExportAsync()).Single(l => l.GetProperty("email").GetString() == email) is var line && line.TryGetProperty("password_hash", out var hash)
            ? hash.GetString()
            : null;

    /// <summary>Every grain-state row with its version, as text, to show that nothing was written.</summary>
    private async Task<List<string>> RowsAsync()
    {
        await using var connection = new SqliteConnection(_factory.Settings["Storage:ConnectionString"] + ";Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_type, grain_id_ext, grain_id_n0, grain_id_n1, version, CAST(payload AS TEXT) FROM orleans_grain_state ORDER BY rowid";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }
}
