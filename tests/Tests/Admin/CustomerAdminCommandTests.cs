using System.Net;
using System.Text.Json;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Silo.Cli;
using AuthCluster.Tests.Import;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Admin;

/// <summary>
/// A running single node (the API in Embedded mode, SQLite storage so that the bulk export can read it) for the
/// customer admin commands, which connect to its gateway as an Orleans client like an operator's shell would.
/// </summary>
public sealed class CustomerAdminNode() : ApiFixture(
    new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "Sqlite",
        ["Logging:LogLevel:" + SecurityEvents.Category] = "Information",
    },
    null)
{
    /// <summary>Runs an admin command against this node.</summary>
    internal Task<CliRun> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    internal Task<CliRun> RunWithInputAsync(string? stdin, params string[] args) => AdminCli.RunAsync(
        [.. args, $"--Cluster:GatewayPort={Factory.Settings["Cluster:GatewayPort"]}", $"--Cluster:ClusterId={Factory.Settings["Cluster:ClusterId"]}"],
        stdin);

    public IReadOnlyList<FakeLogRecord> SecurityEventsOf(string name, Guid customerId) =>
        [.. Factory.Logs.GetSnapshot().Where(r => r.Category == SecurityEvents.Category && r.Id.Name == name
            && r.GetStructuredStateValue("CustomerId") == customerId.ToString())];
}

public sealed class CustomerAdminCommandTests(CustomerAdminNode node) : IClassFixture<CustomerAdminNode>
{
    private AuthApiFactory Factory => node.Factory;

    [Fact]
    public async Task Find_ByEmailAndById_ShowsTheCustomerAndItsActiveSessions()
    {
        var (email, tokens, customerId) = await RegisterAsync();
        (await Factory.ClientFor().LoginAsync(email)).EnsureSuccessStatusCode();

        var byEmail = await node.RunAsync("customers", "find", "--shop", "1", "--email", email.ToUpperInvariant(), "--json");
        var byId = await node.RunAsync("customers", "find", "--id", customerId.ToString());
        var sessions = await node.RunAsync("customers", "sessions", "--id", customerId.ToString(), "--json");

        Assert.Equal(ExitCodes.Ok, byEmail.ExitCode);
        Assert.Equal(customerId.ToString(), byEmail.OutJson.GetProperty("customer_id").GetString());
        Assert.Equal(email, byEmail.OutJson.GetProperty("email").GetString());
        Assert.Equal("enabled", byEmail.OutJson.GetProperty("status").GetString());
        Assert.Equal(2, byEmail.OutJson.GetProperty("active_sessions").GetInt32());
        Assert.Equal(ExitCodes.Ok, byId.ExitCode);
        Assert.Contains(customerId.ToString(), byId.Out, StringComparison.Ordinal);
        Assert.Contains("2 active sessions", byId.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, sessions.ExitCode);
        var listed = sessions.OutJson.EnumerateArray().ToList();
        Assert.Equal(2, listed.Count);
        Assert.Contains(listed, s => s.GetProperty("id").GetString() == SessionOf(tokens.AccessToken));
        Assert.All(listed, s => Assert.Equal(AuthApiFactory.ClientA, s.GetProperty("client_id").GetString()));
        Assert.All(listed, s => Assert.Equal("active", s.GetProperty("status").GetString()));
        Assert.NotEmpty(node.SecurityEventsOf("CustomerReadByOperator", customerId));
    }

    [Theory]
    [InlineData("customers", "find", "--shop", "1", "--email", "nobody-here@example.com")]
    [InlineData("customers", "find", "--id", "0b7f3c52-2f7e-4c1b-9d53-0e8f2b0c6a11")]
    [InlineData("customers", "disable", "--id", "0b7f3c52-2f7e-4c1b-9d53-0e8f2b0c6a11")]
    [InlineData("customers", "erase", "--shop", "2", "--email", "nobody-here@example.com", "--yes")]
    public async Task Command_NoSuchCustomer_ExitsWithNotFound(params string[] args)
    {
        var run = await node.RunAsync(args);

        Assert.Equal(ExitCodes.NotFound, run.ExitCode);
        Assert.Contains("No such customer", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("customers", "find")]
    [InlineData("customers", "find", "--email", "a@example.com")]
    [InlineData("customers", "sessions", "--id", "not-a-uuid")]
    [InlineData("customers", "revoke-sessions", "--id", "0b7f3c52-2f7e-4c1b-9d53-0e8f2b0c6a11", "--shop", "1")]
    [InlineData("customers", "show", "--shop", "x", "--email", "a@example.com")]
    public async Task Command_BadSelection_ExitsWithUsageBeforeConnecting(params string[] args)
    {
        // No cluster settings: a command that tried to connect would fail with 1, not 2.
        var run = await AdminCli.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.NotEmpty(run.Error);
    }

    [Theory]
    [InlineData("find")]
    [InlineData("sessions")]
    [InlineData("revoke-sessions")]
    [InlineData("disable")]
    [InlineData("enable")]
    [InlineData("show")]
    [InlineData("erase")]
    public async Task Help_OfEachCustomerCommand_NamesSelectionAndExitCodes(string command)
    {
        var run = await AdminCli.RunAsync(["customers", command, "--help"]);

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Contains("--shop SHOP_ID", run.Out, StringComparison.Ordinal);
        Assert.Contains("--id CUSTOMER_ID", run.Out, StringComparison.Ordinal);
        Assert.Contains("4 no such customer", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeSessions_EarlierTokens_StopWorkingAtOnce()
    {
        var (email, first, customerId) = await RegisterAsync();
        var second = await (await Factory.ClientFor().LoginAsync(email)).TokensAsync();

        var run = await node.RunAsync("customers", "revoke-sessions", "--shop", "1", "--email", email, "--json");

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Equal(2, run.OutJson.GetProperty("revoked_sessions").GetInt32());
        foreach (var tokens in new[] { first, second })
        {
            using var validate = await Factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");
            Assert.Equal(HttpStatusCode.Unauthorized, validate.StatusCode);
            using var refresh = await Factory.ClientFor().RefreshAsync(tokens.RefreshToken);
            await refresh.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        }

        var logged = Assert.Single(node.SecurityEventsOf("CustomerSessionsRevokedByOperator", customerId));
        Assert.Equal(AdminCluster.Actor, logged.GetStructuredStateValue("Actor"));
        (await Factory.ClientFor().LoginAsync(email)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Disable_RightPassword_GetsExactlyTheWrongPasswordResponse_AndEnableRestoresLogin()
    {
        var (email, tokens, customerId) = await RegisterAsync();
        var http = Factory.ClientFor();
        using var wrongPassword = await http.LoginAsync(email, "not-the-password-1");
        var expected = await WireAsync(wrongPassword);

        var disable = await node.RunAsync("customers", "disable", "--id", customerId.ToString());
        using var disabledLogin = await http.LoginAsync(email);
        var actual = await WireAsync(disabledLogin);
        using var validate = await Factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");
        using var refresh = await http.RefreshAsync(tokens.RefreshToken);
        var find = await node.RunAsync("customers", "find", "--id", customerId.ToString(), "--json");
        var enable = await node.RunAsync("customers", "enable", "--shop", "1", "--email", email);
        using var enabledLogin = await http.LoginAsync(email);
        using var stillRevoked = await Factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");

        Assert.Equal(ExitCodes.Ok, disable.ExitCode);
        Assert.Contains("Disabled", disable.Out, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, disabledLogin.StatusCode);
        Assert.Equal(expected, actual);
        Assert.Equal(HttpStatusCode.Unauthorized, validate.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        Assert.Equal("disabled", find.OutJson.GetProperty("status").GetString());
        Assert.Equal(0, find.OutJson.GetProperty("active_sessions").GetInt32());
        Assert.Equal(ExitCodes.Ok, enable.ExitCode);
        Assert.Equal(HttpStatusCode.OK, enabledLogin.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stillRevoked.StatusCode);
        Assert.Single(node.SecurityEventsOf("CustomerDisabled", customerId));
        Assert.Single(node.SecurityEventsOf("CustomerEnabled", customerId));
    }

    [Fact]
    public async Task Disable_NoResetEmailIsSentAndAnEarlierLinkIsRefused()
    {
        var (email, _, customerId) = await RegisterAsync();
        var http = Factory.ClientFor();
        (await http.SendResetEmailAsync(email)).EnsureSuccessStatusCode();
        var link = Reset.HashIn(File.ReadAllText((await Factory.WaitForPickupAsync(email, 1))[0]));

        await node.RunAsync("customers", "disable", "--id", customerId.ToString());
        using var update = await http.UpdateByHashAsync(link, "quartz-lantern-meadow-93");
        (await http.SendResetEmailAsync(email)).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.BadRequest, update.StatusCode);
        Assert.DoesNotContain("validation_error", await update.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(Factory.PickupFor(email));
    }

    [Fact]
    public async Task Show_PrintsAllDataHeld_WithoutThePasswordHash()
    {
        var (email, tokens, customerId) = await RegisterAsync();
        var http = Factory.ClientFor();
        (await http.LoginAsync(email, "not-the-password-1")).Dispose();

        var run = await node.RunAsync("customers", "show", "--shop", "1", "--email", email);

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        var shown = run.OutJson;
        Assert.Equal(customerId.ToString(), shown.GetProperty("customer_id").GetString());
        Assert.Equal(1, shown.GetProperty("shop_id").GetInt64());
        Assert.Equal(email, shown.GetProperty("email").GetString());
        Assert.Equal("Ada", shown.GetProperty("first_name").GetString());
        Assert.Equal("set", shown.GetProperty("password").GetString());
        var session = Assert.Single(shown.GetProperty("sessions").EnumerateArray());
        Assert.Equal(SessionOf(tokens.AccessToken), session.GetProperty("id").GetString());
        Assert.Equal(AuthApiFactory.ClientA, session.GetProperty("client_id").GetString());
        Assert.Equal("active", session.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, session.GetProperty("last_used_at").ValueKind);
        Assert.Equal(1, shown.GetProperty("login_throttle").GetProperty("failed_logins").GetInt32());
        Assert.Equal(0, shown.GetProperty("password_reset_requests").GetProperty("count").GetInt32());
        Assert.DoesNotContain("$2", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", run.Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Erase_RemovesTheCustomer_TheAddressRegistersAgain_AndTheLogHasNoEmail()
    {
        var (email, tokens, customerId) = await RegisterAsync();
        var http = Factory.ClientFor();
        (await http.LoginAsync(email, "not-the-password-1")).Dispose();

        var erase = await node.RunAsync("customers", "erase", "--shop", "1", "--email", email, "--yes", "--json");
        await Factory.Grains.GetGrain<IJanitorGrain>(0).Sweep();
        var rowsWithAddress = await RowsMentioningAsync(email);
        var show = await node.RunAsync("customers", "show", "--id", customerId.ToString());
        var find = await node.RunAsync("customers", "find", "--shop", "1", "--email", email);
        using var validate = await Factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");
        using var refresh = await http.RefreshAsync(tokens.RefreshToken);
        var export = await AdminCli.RunAsync(["customers", "export", .. AdminCli.StoreOf(Factory)]);
        using var register = await http.RegisterAsync(email);

        Assert.Equal(ExitCodes.Ok, erase.ExitCode);
        Assert.True(erase.OutJson.GetProperty("erased").GetBoolean());
        Assert.Equal(ExitCodes.NotFound, show.ExitCode);
        Assert.Equal(ExitCodes.NotFound, find.ExitCode);
        Assert.Equal(HttpStatusCode.Unauthorized, validate.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        Assert.Equal(ExitCodes.Ok, export.ExitCode);
        Assert.DoesNotContain(export.DataLines, line => line.GetProperty("email").GetString() == email);
        Assert.Equal(0, rowsWithAddress);
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        var newCustomer = await node.RunAsync("customers", "show", "--shop", "1", "--email", email, "--json");
        Assert.NotEqual(customerId.ToString(), newCustomer.OutJson.GetProperty("customer_id").GetString());
        Assert.Equal(0, newCustomer.OutJson.GetProperty("login_throttle").GetProperty("failed_logins").GetInt32());

        var erased = Assert.Single(node.SecurityEventsOf("CustomerErased", customerId));
        Assert.Equal("1", erased.GetStructuredStateValue("ShopId"));
        Assert.Equal(AdminCluster.Actor, erased.GetStructuredStateValue("Actor"));
        var local = email[..email.IndexOf('@', StringComparison.Ordinal)];
        Assert.All(
            Factory.Logs.GetSnapshot().Where(r => r.Category == SecurityEvents.Category),
            r => Assert.DoesNotContain(local, r.Message + string.Concat(r.StructuredState?.Select(p => p.Value) ?? []), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Erase_WithoutYes_ErasesOnlyWhenConfirmed()
    {
        var (_, _, customerId) = await RegisterAsync();
        var id = customerId.ToString();

        var declined = await node.RunWithInputAsync("no\n", "customers", "erase", "--id", id);
        var stillThere = await node.RunAsync("customers", "find", "--id", id);
        var confirmed = await node.RunWithInputAsync("yes\n", "customers", "erase", "--id", id);
        var gone = await node.RunAsync("customers", "find", "--id", id);

        Assert.Equal(ExitCodes.Failed, declined.ExitCode);
        Assert.Contains("Type 'yes'", declined.Error, StringComparison.Ordinal);
        Assert.Contains("Not erased", declined.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, stillThere.ExitCode);
        Assert.Equal(ExitCodes.Ok, confirmed.ExitCode);
        Assert.Equal(ExitCodes.NotFound, gone.ExitCode);
    }

    private async Task<(string Email, TokenResponseDto Tokens, Guid CustomerId)> RegisterAsync()
    {
        var email = TestApi.UniqueEmail("admin");
        var tokens = await Factory.ClientFor().RegisteredAsync(email);
        return (email, tokens, Guid.Parse(new JsonWebToken(tokens.AccessToken).Subject));
    }

    /// <summary>Rows of the node's database whose key or state holds the address, after the hourly sweep has run.</summary>
    private async Task<long> RowsMentioningAsync(string email)
    {
        await using var connection = new SqliteConnection(Factory.Settings["Storage:ConnectionString"]);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM orleans_grain_state WHERE instr(grain_id_ext, $email) > 0 OR instr(CAST(payload AS TEXT), $email) > 0";
        command.Parameters.AddWithValue("$email", email);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string SessionOf(string accessToken) => new JsonWebToken(accessToken).GetPayloadValue<string>("sid");

    /// <summary>Status, content headers and body: what the caller sees of a response.</summary>
    private static async Task<string> WireAsync(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {response.Content.Headers.ContentType}\n{await response.Content.ReadAsStringAsync()}";
}
