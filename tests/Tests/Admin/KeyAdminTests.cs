using System.Net;
using System.Text.Json;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Silo.Cli;
using AuthCluster.Tests.Import;
using AuthCluster.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Admin;

/// <summary>
/// <c>keys list|rotate|revoke</c> run in this process against a running node (the API with its embedded silo), connected
/// as an admin client to the node's gateway, as an operator would run them next to it.
/// </summary>
public sealed class KeyAdminTests
{
    [Fact]
    public async Task KeysList_RunningNode_ShowsTheKeyThatSignsAsCurrent()
    {
        // Arrange
        await using var node = new AuthApiFactory();
        var token = await node.ClientFor().RegisteredAsync();

        // Act
        var run = await KeyAdmin.RunAsync(node, "keys", "list", "--json");
        var text = await KeyAdmin.RunAsync(node, "keys", "list");

        // Assert
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        var key = Assert.Single(run.OutJson.GetProperty("keys").EnumerateArray());
        Assert.Equal(KidOf(token.AccessToken), key.GetProperty("key_id").GetString());
        Assert.Equal("current", key.GetProperty("status").GetString());
        Assert.Equal("ES256", key.GetProperty("algorithm").GetString());
        Assert.Equal(KeyEncryption.ImplicitKekId, key.GetProperty("kek_id").GetString());
        Assert.True(key.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Contains("KID", text.Out, StringComparison.Ordinal);
        Assert.Contains($"{KidOf(token.AccessToken)}  ES256  current", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysRotate_RunningNode_NewTokensCarryTheNewKidAndOldTokensStillValidate()
    {
        // Arrange
        await using var node = new AuthApiFactory();
        var http = node.ClientFor();
        var before = await http.RegisteredAsync();

        // Act
        var run = await KeyAdmin.RunAsync(node, "keys", "rotate", "--json");
        var after = await http.RegisteredAsync();

        // Assert
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        var current = run.OutJson.GetProperty("current_key_id").GetString();
        Assert.Equal(KidOf(before.AccessToken), run.OutJson.GetProperty("previous_key_id").GetString());
        Assert.Equal(1, run.OutJson.GetProperty("nodes_notified").GetInt32());
        Assert.Equal(current, KidOf(after.AccessToken));
        Assert.NotEqual(KidOf(before.AccessToken), current);
        Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(node, before.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(node, after.AccessToken));
        var kids = await KeyAdmin.JwksKidsAsync(node);
        Assert.Contains(KidOf(before.AccessToken), kids);
        Assert.Contains(current, kids);
        var statuses = (await KeyAdmin.RunAsync(node, "keys", "list", "--json")).OutJson.GetProperty("keys").EnumerateArray()
            .ToDictionary(k => k.GetProperty("key_id").GetString()!, k => k.GetProperty("status").GetString());
        Assert.Equal("retired", statuses[KidOf(before.AccessToken)]);
        Assert.Equal("current", statuses[current!]);
        Assert.Single(KeyAdmin.SecurityEvents(node, 2450), r => r.Message.Contains(AdminCluster.Actor, StringComparison.Ordinal));
    }

    [Fact]
    public async Task KeysRevoke_CurrentKey_LeavesJwksAndItsTokensAre401AtOnceWhileNewTokensWork()
    {
        // Arrange
        await using var node = new AuthApiFactory();
        var http = node.ClientFor();
        var old = await http.RegisteredAsync();
        var kid = KidOf(old.AccessToken);
        // Validated once, so that the node has the verified token in its cache: revocation must beat the cache too.
        Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(node, old.AccessToken));

        // Act
        var run = await KeyAdmin.RunAsync(node, "keys", "revoke", kid, "--json");

        // Assert: right after the command returns, with no wait.
        var validate = await KeyAdmin.ValidateAsync(node, old.AccessToken);
        var jwks = await KeyAdmin.JwksKidsAsync(node);
        var fresh = await http.RegisteredAsync();
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Equal("revoked", run.OutJson.GetProperty("outcome").GetString());
        Assert.Equal(1, run.OutJson.GetProperty("nodes_notified").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, validate);
        Assert.DoesNotContain(kid, jwks);
        Assert.Equal(run.OutJson.GetProperty("new_current_key_id").GetString(), KidOf(fresh.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(node, fresh.AccessToken));
        var listed = (await KeyAdmin.RunAsync(node, "keys", "list", "--json")).OutJson.GetProperty("keys").EnumerateArray()
            .Single(k => k.GetProperty("key_id").GetString() == kid);
        Assert.Equal("revoked", listed.GetProperty("status").GetString());
        var record = Assert.Single(KeyAdmin.SecurityEvents(node, 2451));
        Assert.Contains(kid, record.Message, StringComparison.Ordinal);
        Assert.Contains(AdminCluster.Actor, record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysRevoke_TwoApiNodes_BothRefuseTheKeysTokensAtOnce()
    {
        // Arrange: a second API node in Client mode, joined to the first node's silo through its gateway.
        await using var first = new AuthApiFactory();
        _ = first.Server;
        await using var second = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Cluster:Mode"] = "Client",
            ["Cluster:GatewayPort"] = first.Settings["Cluster:GatewayPort"],
            ["Cluster:ClusterId"] = first.Settings["Cluster:ClusterId"],
        });
        var token = await second.ClientFor().RegisteredAsync();
        Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(first, token.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(second, token.AccessToken));

        // Act
        var run = await KeyAdmin.RunAsync(first, "keys", "revoke", KidOf(token.AccessToken), "--json");

        // Assert
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Equal(2, run.OutJson.GetProperty("nodes_notified").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, await KeyAdmin.ValidateAsync(first, token.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await KeyAdmin.ValidateAsync(second, token.AccessToken));
        Assert.DoesNotContain(KidOf(token.AccessToken), await KeyAdmin.JwksKidsAsync(second));
    }

    [Fact]
    public async Task KeysRevoke_PublishedSuccessor_LeavesJwksWhileTheCurrentKeyKeepsSigning()
    {
        // Arrange: a successor is published at once when the publish lead covers the whole rotation interval.
        await using var node = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Auth:Signing:RotationInterval"] = "01:00:00",
            ["Auth:Signing:PublishLead"] = "02:00:00",
        });
        var token = await node.ClientFor().RegisteredAsync();
        var successor = (await KeyAdmin.JwksKidsAsync(node)).Single(k => k != KidOf(token.AccessToken));

        // Act
        var run = await KeyAdmin.RunAsync(node, "keys", "revoke", successor);

        // Assert
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.DoesNotContain(successor, await KeyAdmin.JwksKidsAsync(node));
        Assert.Equal(KidOf(token.AccessToken), KidOf((await node.ClientFor().RegisteredAsync()).AccessToken));
        Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(node, token.AccessToken));
    }

    [Fact]
    public async Task KeysRevoke_UnknownOrRepeated_ExitsNotFoundOrReportsAlreadyRevoked()
    {
        // Arrange
        await using var node = new AuthApiFactory();
        var kid = KidOf((await node.ClientFor().RegisteredAsync()).AccessToken);

        // Act
        var unknown = await KeyAdmin.RunAsync(node, "keys", "revoke", "no-such-kid");
        await KeyAdmin.RunAsync(node, "keys", "revoke", kid);
        var again = await KeyAdmin.RunAsync(node, "keys", "revoke", kid, "--json");

        // Assert
        Assert.Equal(ExitCodes.NotFound, unknown.ExitCode);
        Assert.Contains("No key no-such-kid", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, again.ExitCode);
        Assert.Equal("already_revoked", again.OutJson.GetProperty("outcome").GetString());
    }

    [Theory]
    [InlineData("keys", "--help")]
    [InlineData("keys", "list", "--help")]
    [InlineData("keys", "rotate", "--help")]
    [InlineData("keys", "revoke", "--help")]
    [InlineData("kek", "--help")]
    [InlineData("kek", "rotate", "--help")]
    [InlineData("schema", "status", "--help")]
    public async Task Help_EveryKeyCommand_PrintsUsageAndExitsOk(params string[] args)
    {
        // Act
        var run = await AdminCli.RunAsync(args);

        // Assert
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Contains("Usage: dotnet run --project src/Silo --", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysRevoke_WithoutKid_IsAUsageError()
    {
        // Act
        var run = await AdminCli.RunAsync(["keys", "revoke"]);

        // Assert
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("Missing KID", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysList_NoNodeRunning_FailsWithExitCode1()
    {
        // Act: a gateway port nobody listens on.
        var run = await AdminCli.RunAsync(["keys", "list", "--Cluster:GatewayPort=1", "--Cluster:ClusterId=nobody"]);

        // Assert
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("Cannot reach", run.Error, StringComparison.Ordinal);
    }

    internal static string KidOf(string accessToken) => new JsonWebToken(accessToken).Kid;
}

/// <summary>Running the key commands against an API factory's node, and looking at their effects.</summary>
internal static class KeyAdmin
{
    /// <summary>The settings that point an admin command at the factory's embedded silo.</summary>
    public static string[] NodeOf(AuthApiFactory node) =>
    [
        $"--Cluster:GatewayPort={node.Settings["Cluster:GatewayPort"]}",
        $"--Cluster:ClusterId={node.Settings["Cluster:ClusterId"]}",
    ];

    public static Task<CliRun> RunAsync(AuthApiFactory node, params string[] args)
    {
        _ = node.Server;
        return AdminCli.RunAsync([.. args, .. NodeOf(node)]);
    }

    public static async Task<HttpStatusCode> ValidateAsync(AuthApiFactory node, string accessToken)
    {
        using var response = await node.BearerClient(accessToken).GetAsync("/v1/oauth/token/validate");
        return response.StatusCode;
    }

    public static async Task<IReadOnlyList<string>> JwksKidsAsync(AuthApiFactory node)
    {
        var jwks = JsonDocument.Parse(await node.CreateClient().GetStringAsync("/.well-known/jwks.json")).RootElement;
        return [.. jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }

    public static IReadOnlyList<Microsoft.Extensions.Logging.Testing.FakeLogRecord> SecurityEvents(AuthApiFactory node, int eventId) =>
        [.. node.Logs.GetSnapshot().Where(r => r.Category == AuthCluster.Grains.Interfaces.SecurityEvents.Category && r.Id.Id == eventId)];
}
