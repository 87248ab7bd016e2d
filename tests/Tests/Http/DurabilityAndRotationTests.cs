using System.Net;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Http;

public sealed class DurabilityTests
{
    [Fact]
    public async Task Restart_OnSameSqliteFile_KeepsAccountsSessionsRevocationsAndKeys()
    {
        var database = Path.Combine(Path.GetTempPath(), "authcluster-tests", Guid.NewGuid().ToString("N"), "auth.db");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:ConnectionString"] = $"Data Source={database}",
        };
        var email = TestApi.UniqueEmail();
        TokenResponseDto kept, revoked;
        string jwks;
        await using (var first = new AuthApiFactory(settings))
        {
            var http = first.ClientFor();
            kept = await http.RegisteredAsync(email);
            revoked = await (await http.LoginAsync(email)).TokensAsync();
            (await first.BearerClient(revoked.AccessToken).PostAsync("/v1/auth/logout", null)).EnsureSuccessStatusCode();
            jwks = await first.CreateClient().GetStringAsync("/.well-known/jwks.json");
        }

        await using var second = new AuthApiFactory(settings);
        var again = second.ClientFor();

        using var login = await again.LoginAsync(email);
        using var validateKept = await second.BearerClient(kept.AccessToken).GetAsync("/v1/oauth/token/validate");
        using var validateRevoked = await second.BearerClient(revoked.AccessToken).GetAsync("/v1/oauth/token/validate");
        using var refreshKept = await again.RefreshAsync(kept.RefreshToken);
        using var refreshRevoked = await again.RefreshAsync(revoked.RefreshToken);
        using var duplicate = await again.RegisterAsync(email);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, validateKept.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, validateRevoked.StatusCode);
        Assert.Equal(HttpStatusCode.OK, refreshKept.StatusCode);
        await refreshRevoked.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        await duplicate.AssertErrorAsync(HttpStatusCode.Conflict, "email_taken");
        Assert.Equal(jwks, await second.CreateClient().GetStringAsync("/.well-known/jwks.json"));

        // Only digests are stored: neither the refresh token nor its secret part appears in the database files.
        var stored = string.Concat(Directory.GetFiles(Path.GetDirectoryName(database)!).Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        Assert.Contains("\"CurrentDigest\"", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(kept.RefreshToken[22..], stored, StringComparison.Ordinal);
    }
}

public sealed class KeyRotationTests
{
    private static Dictionary<string, string?> Rotation => new()
    {
        ["Auth:Signing:RotationInterval"] = "1.00:00:00",
        ["Auth:Signing:PublishLead"] = "01:00:00",
        ["Auth:Tokens:AccessTokenLifetime"] = "00:15:00",
    };

    [Fact]
    public async Task Rotation_PublishesNextKeyBeforeItSignsAndRetiresOldKeyAfterItsTokensExpire()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new AuthApiFactory(Rotation, time);
        var http = factory.ClientFor();
        var before = await http.RegisteredAsync();
        var firstKid = new JsonWebToken(before.AccessToken).Kid;

        // 30 minutes before the first key's period ends, its successor is published but does not sign yet.
        time.Advance(TimeSpan.FromHours(23.5));
        var published = await Kids(factory);
        time.Advance(TimeSpan.FromMinutes(25));
        var stillFirst = await (await http.RefreshAsync(before.RefreshToken)).TokensAsync();

        // The successor takes over at the period's end; a token of the first key, issued just before, still validates.
        time.Advance(TimeSpan.FromMinutes(6));
        var afterSwitch = await (await http.RefreshAsync(stillFirst.RefreshToken)).TokensAsync();
        using var oldTokenStillValid = await factory.BearerClient(stillFirst.AccessToken).GetAsync("/v1/oauth/token/validate");
        var duringOverlap = await Kids(factory);

        // Once every token of the first key has expired, the key leaves the JWKS.
        time.Advance(TimeSpan.FromMinutes(15));
        var afterRetire = await Kids(factory);

        Assert.Equal(2, published.Count);
        Assert.Contains(firstKid, published);
        Assert.Equal(firstKid, new JsonWebToken(stillFirst.AccessToken).Kid);
        var secondKid = new JsonWebToken(afterSwitch.AccessToken).Kid;
        Assert.NotEqual(firstKid, secondKid);
        Assert.Contains(secondKid, published);
        Assert.Equal(HttpStatusCode.OK, oldTokenStillValid.StatusCode);
        Assert.Contains(firstKid, duringOverlap);
        Assert.DoesNotContain(firstKid, afterRetire);
        Assert.Contains(secondKid, afterRetire);
    }

    [Fact]
    public async Task Rotation_AlgorithmChange_SwitchesAtOnceAndKeepsOldKeyForItsTokens()
    {
        var database = Path.Combine(Path.GetTempPath(), "authcluster-tests", Guid.NewGuid().ToString("N"), "auth.db");
        var settings = new Dictionary<string, string?> { ["Storage:Provider"] = "Sqlite", ["Storage:ConnectionString"] = $"Data Source={database}" };
        TokenResponseDto es256;
        await using (var first = new AuthApiFactory(settings))
        {
            es256 = await first.ClientFor().RegisteredAsync();
        }

        settings["Auth:Signing:Algorithm"] = "PS256";
        await using var second = new AuthApiFactory(settings);
        var ps256 = await second.ClientFor().RegisteredAsync();
        using var oldToken = await second.BearerClient(es256.AccessToken).GetAsync("/v1/oauth/token/validate");

        Assert.Equal("ES256", new JsonWebToken(es256.AccessToken).Alg);
        Assert.Equal("PS256", new JsonWebToken(ps256.AccessToken).Alg);
        Assert.Equal(HttpStatusCode.OK, oldToken.StatusCode);
        Assert.Equal(2, (await Kids(second)).Count);
    }

    private static async Task<List<string>> Kids(AuthApiFactory factory)
    {
        // Validators see the JWKS through the node's cache, which refreshes on its own schedule; force it as a fresh node would.
        await ((AuthCluster.Api.Tokens.SigningKeyCache)factory.Services.GetService(typeof(AuthCluster.Api.Tokens.SigningKeyCache))!).RefreshAsync();
        var json = await (await factory.CreateClient().GetAsync("/.well-known/jwks.json")).JsonAsync();
        return [.. json.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }
}
