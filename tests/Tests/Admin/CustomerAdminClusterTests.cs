using System.Net;
using AuthCluster.Silo.Cli;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Admin;

/// <summary>
/// The customer admin commands as an operator runs them: the built silo program as a process of its own, joining a
/// PostgreSQL cluster of two silo processes through the membership table, while an API node in Client mode serves
/// the shop. What the commands change must hold at once for the API node.
/// </summary>
// With the cluster fault tests, not beside the rest of the suite: five processes on a shared two-core machine would
// otherwise starve each other past the admin client's connect timeout.
[Collection(MeasuredAlone.Name)]
[ProcessLevel]
public sealed class CustomerAdminClusterTests
{
    private static readonly string? Server = Environment.GetEnvironmentVariable(PostgreSqlFixture.EnvironmentVariable);

    [SkippableFact]
    public async Task CustomerCommands_AgainstTwoSiloCluster_TakeEffectAtOnceOnTheApi()
    {
        Skip.If(string.IsNullOrWhiteSpace(Server) && !ThrowawayPostgres.IsInstalled, PostgreSqlFixture.SkipReason);
        await using var ownServer = string.IsNullOrWhiteSpace(Server) ? await ThrowawayPostgres.StartAsync() : null;
        await using var cluster = await ProcessCluster.CreateAsync(Server ?? ownServer!.ConnectionString, "admin");
        await cluster.StartAsync(silos: 2, apis: 1);
        using var shop = new HttpClient { BaseAddress = cluster.Apis[0].BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        shop.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic(ProcessCluster.ClientId, ProcessCluster.ClientSecret);
        var email = TestApi.UniqueEmail("cluster-admin");
        var first = await shop.RegisteredAsync(email);
        var second = await (await shop.LoginAsync(email)).TokensAsync();
        var id = new JsonWebToken(first.AccessToken).Subject;

        // Sessions and revoke-sessions: both sessions listed, then every token of them refused by the API node.
        var sessions = await cluster.RunSiloCommandAsync("customers", "sessions", "--shop", "1", "--email", email, "--json");
        Assert.True(sessions.ExitCode == ExitCodes.Ok, sessions.Output);
        Assert.Contains(Sid(first), sessions.Output, StringComparison.Ordinal);
        Assert.Contains(Sid(second), sessions.Output, StringComparison.Ordinal);
        var revoke = await cluster.RunSiloCommandAsync("customers", "revoke-sessions", "--id", id);
        Assert.True(revoke.ExitCode == ExitCodes.Ok, revoke.Output);
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateAsync(shop, first));
        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateAsync(shop, second));
        using (var refresh = await shop.RefreshAsync(second.RefreshToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        }

        // Disable: the right password gets the wrong-password answer and the new session ends; enable restores login.
        var third = await (await shop.LoginAsync(email)).TokensAsync();
        var disable = await cluster.RunSiloCommandAsync("customers", "disable", "--shop", "1", "--email", email);
        Assert.True(disable.ExitCode == ExitCodes.Ok, disable.Output);
        using (var login = await shop.LoginAsync(email))
        {
            await login.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await ValidateAsync(shop, third));
        var enable = await cluster.RunSiloCommandAsync("customers", "enable", "--id", id);
        Assert.True(enable.ExitCode == ExitCodes.Ok, enable.Output);
        (await shop.LoginAsync(email)).EnsureSuccessStatusCode();

        // Erase: gone for the commands and the API, and the address registers again.
        var erase = await cluster.RunSiloCommandAsync("customers", "erase", "--id", id, "--yes");
        Assert.True(erase.ExitCode == ExitCodes.Ok, erase.Output);
        var find = await cluster.RunSiloCommandAsync("customers", "find", "--shop", "1", "--email", email);
        Assert.Equal(ExitCodes.NotFound, find.ExitCode);
        using (var login = await shop.LoginAsync(email))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        }

        using var register = await shop.RegisterAsync(email);
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
    }

    private static string Sid(TokenResponseDto tokens) => new JsonWebToken(tokens.AccessToken).GetPayloadValue<string>("sid");

    private static async Task<HttpStatusCode> ValidateAsync(HttpClient shop, TokenResponseDto tokens)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/oauth/token/validate");
        request.Headers.Authorization = new("Bearer", tokens.AccessToken);
        using var response = await shop.SendAsync(request);
        return response.StatusCode;
    }
}
