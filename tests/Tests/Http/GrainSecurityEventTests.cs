using System.Net;
using System.Net.Http.Json;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Http;

/// <summary>
/// The grain-side security events (issue 8, item 5) in the <see cref="SecurityEvents.Category"/> category: each names
/// ids, the client and the customer IP, and no record of that category carries an email, password, token or hash.
/// </summary>
public sealed class GrainSecurityEventTests
{
    private const string CustomerIp = "198.51.100.77";

    private static Dictionary<string, string?> Settings => new()
    {
        ["Logging:LogLevel:" + SecurityEvents.Category] = "Information",
        ["Auth:Tokens:RefreshReuseGrace"] = "00:00:00",
    };

    [Fact]
    public async Task RefreshReuse_LogsReuseWithClientIpAndSession_AndTheRevocation()
    {
        await using var factory = new AuthApiFactory(Settings);
        var http = factory.ClientFor();
        http.DefaultRequestHeaders.Add("X-Customer-IP", CustomerIp);
        var tokens = await http.RegisteredAsync();
        var sessionId = new JsonWebToken(tokens.AccessToken).GetPayloadValue<string>("sid");
        (await http.RefreshAsync(tokens.RefreshToken)).EnsureSuccessStatusCode();

        using var reuse = await http.RefreshAsync(tokens.RefreshToken);

        Assert.Equal(HttpStatusCode.BadRequest, reuse.StatusCode);
        var detected = Single(factory, "RefreshTokenReuseDetected");
        Assert.Equal(LogLevel.Warning, detected.Level);
        Assert.Equal(sessionId, detected.GetStructuredStateValue("SessionId"));
        Assert.Equal(AuthApiFactory.ClientA, detected.GetStructuredStateValue("ClientId"));
        Assert.Equal(CustomerIp, detected.GetStructuredStateValue("CustomerIp"));
        var revoked = Single(factory, "SessionRevoked");
        Assert.Equal(sessionId, revoked.GetStructuredStateValue("SessionId"));
        Assert.Equal(nameof(RevocationReason.RefreshTokenReuse), revoked.GetStructuredStateValue("Reason"));
        AssertNoSecrets(factory, tokens.AccessToken, tokens.RefreshToken);
    }

    [Fact]
    public async Task ResetRequestedAndCompleted_LogCustomerIdNotEmail()
    {
        const string newPassword = "amber-lantern-quietly-17";
        await using var factory = new AuthApiFactory(Settings);
        var http = factory.ClientFor();
        http.DefaultRequestHeaders.Add("X-Customer-IP", CustomerIp);
        var email = TestApi.UniqueEmail();
        var tokens = await http.RegisteredAsync(email);
        var customerId = new JsonWebToken(tokens.AccessToken).Subject;
        var hash = await factory.RequestHashAsync(http, email);
        (await http.SendResetEmailAsync(TestApi.UniqueEmail("nobody"))).Dispose();

        using var update = await http.UpdateByHashAsync(hash, newPassword);

        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var requested = Events(factory, "PasswordResetRequested");
        Assert.Equal(2, requested.Count);
        Assert.Contains(requested, r => r.GetStructuredStateValue("CustomerId") == customerId);
        Assert.Contains(requested, r => r.GetStructuredStateValue("CustomerId") != customerId);
        foreach (var name in new[] { "PasswordResetCompleted", "PasswordChanged" })
        {
            var record = Single(factory, name);
            Assert.Equal(customerId, record.GetStructuredStateValue("CustomerId"));
            Assert.Equal(CustomerIp, record.GetStructuredStateValue("CustomerIp"));
        }

        var revoked = Single(factory, "SessionRevoked");
        Assert.Equal(nameof(RevocationReason.PasswordChanged), revoked.GetStructuredStateValue("Reason"));
        AssertNoSecrets(factory, email, hash, newPassword, TestApi.GoodPassword, tokens.RefreshToken);
    }

    [Fact]
    public async Task InvalidToken_IsLoggedWithItsReason()
    {
        await using var factory = new AuthApiFactory(Settings);
        var tokens = await factory.ClientFor().RegisteredAsync();
        var tampered = tokens.AccessToken[..^4] + (tokens.AccessToken.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        using var response = await factory.BearerClient(tampered).GetAsync("/v1/oauth/token/validate");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
        var record = Single(factory, "InvalidToken");
        Assert.Contains("Signature", record.GetStructuredStateValue("Reason"), StringComparison.Ordinal);
        AssertNoSecrets(factory, tokens.AccessToken, tampered);
    }

    [Fact]
    public async Task LogoutAndKeyRotation_AreLogged()
    {
        await using var factory = new AuthApiFactory(Settings);
        var tokens = await factory.ClientFor().RegisteredAsync();

        using var logout = await factory.BearerClient(tokens.AccessToken).PostAsJsonAsync("/v1/auth/logout", new { scope = "local" });

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(nameof(RevocationReason.Logout), Single(factory, "SessionRevoked").GetStructuredStateValue("Reason"));
        var kid = new JsonWebToken(tokens.AccessToken).Kid;
        Assert.Contains(Events(factory, "SigningKeyAdded"), r => r.GetStructuredStateValue("KeyId") == kid);
    }

    private static List<FakeLogRecord> Events(AuthApiFactory factory, string name) =>
        [.. factory.Logs.GetSnapshot().Where(r => r.Category == SecurityEvents.Category && r.Id.Name == name)];

    private static FakeLogRecord Single(AuthApiFactory factory, string name) => Assert.Single(Events(factory, name));

    private static void AssertNoSecrets(AuthApiFactory factory, params string[] secrets)
    {
        var records = factory.Logs.GetSnapshot().Where(r => r.Category == SecurityEvents.Category).ToList();
        Assert.NotEmpty(records);
        foreach (var record in records)
        {
            var text = record.Message + string.Concat(record.StructuredState?.Select(p => p.Value) ?? []);
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
        }
    }
}
