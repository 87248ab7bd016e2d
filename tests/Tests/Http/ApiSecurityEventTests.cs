using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AuthCluster.Tests.Http;

/// <summary>
/// The API's security events (category <see cref="SecurityEvents.Category"/>): each outcome of the credential
/// endpoints, logout, failed client authentication and rate limiting, with client, customer id or masked email,
/// customer IP and outcome as structured fields, and never a password, token, secret or full email.
/// </summary>
public sealed class ApiSecurityEventTests
{
    private const string CustomerIp = "198.51.100.42";

    [Fact]
    public async Task CredentialEndpoints_LogSecurityEventsWithStructuredFields_AndNoSecrets()
    {
        // Arrange
        await using var settings = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:" + SecurityEvents.Category] = "Information",
            ["Auth:Throttling:FreeFailures"] = "1",
            ["RateLimiting:PermitLimit"] = "12",
        });
        await using var factory = settings.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddFakeLogging()));
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic(AuthApiFactory.ClientA, AuthApiFactory.SecretA);
        http.DefaultRequestHeaders.Add("X-Customer-IP", CustomerIp);
        var email = TestApi.UniqueEmail("kate");
        const string wrongPassword = "not-the-password-1";

        // Act
        var tokens = await http.RegisteredAsync(email);
        (await http.RegisterAsync(email)).Dispose();
        var login = await (await http.LoginAsync(email)).TokensAsync();
        var throttled = false;
        for (var i = 0; i < 5 && !throttled; i++)
        {
            using var failed = await http.LoginAsync(email, wrongPassword);
            throttled = failed.StatusCode == HttpStatusCode.TooManyRequests;
        }

        using (var guest = await http.GuestAsync(TestApi.UniqueEmail("guest")))
        {
            Assert.Equal(HttpStatusCode.Created, guest.StatusCode);
        }

        var bearer = factory.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.AccessToken);
        bearer.DefaultRequestHeaders.Add("X-Customer-IP", CustomerIp);
        (await bearer.PostAsJsonAsync("/v1/auth/logout", new { scope = "global" })).EnsureSuccessStatusCode();
        var wrongClient = factory.CreateClient();
        wrongClient.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic(AuthApiFactory.ClientA, "wrong-secret-" + AuthApiFactory.SecretB);
        (await wrongClient.LoginAsync(email)).Dispose();
        var rateLimited = false;
        for (var i = 0; i < 20 && !rateLimited; i++)
        {
            using var response = await http.LoginAsync(TestApi.UniqueEmail("nobody"), wrongPassword);
            rateLimited = response.StatusCode == HttpStatusCode.TooManyRequests;
        }

        var events = factory.Services.GetRequiredService<FakeLogCollector>().GetSnapshot()
            .Where(r => r.Category == SecurityEvents.Category)
            .ToList();

        // Assert
        Assert.True(throttled && rateLimited, "the scenario did not reach throttling and rate limiting");
        var customerId = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(tokens.AccessToken).Subject;
        AssertEvent(events, "Registration", "registered", ("CustomerId", customerId));
        AssertEvent(events, "RegistrationRefused", "email_taken", ("MaskedEmail", "k***@example.com"));
        AssertEvent(events, "LoginSucceeded", "success", ("CustomerId", customerId));
        AssertEvent(events, "LoginFailed", "invalid_credentials", ("MaskedEmail", "k***@example.com"));
        AssertEvent(events, "LoginFailed", "throttled", ("MaskedEmail", "k***@example.com"));
        AssertEvent(events, "GuestLogin", "success");
        AssertEvent(events, "Logout", "success", ("CustomerId", customerId), ("Scope", "global"));
        var invalidClient = Assert.Single(events, e => e.Id.Name == "ClientAuthenticationFailed");
        Assert.Equal("invalid_client", invalidClient.GetStructuredStateValue("Outcome"));
        Assert.Equal(AuthApiFactory.ClientA, invalidClient.GetStructuredStateValue("ClientId"));
        var limited = Assert.Single(events, e => e.Id.Name == "RateLimited");
        Assert.Equal(AuthApiFactory.ClientA, limited.GetStructuredStateValue("ClientId"));
        Assert.Equal(CustomerIp, limited.GetStructuredStateValue("CustomerIp"));

        var secrets = new[] { TestApi.GoodPassword, wrongPassword, AuthApiFactory.SecretA, tokens.AccessToken, tokens.RefreshToken, login.RefreshToken, email };
        foreach (var record in events)
        {
            var text = record.Message + " " + string.Join(" ", record.StructuredState?.Select(p => p.Value) ?? []);
            Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain("kate", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("kate@example.com", "k***@example.com")]
    [InlineData("  Kate.Smith+shop@Example.COM ", "K***@example.com")]
    [InlineData("not-an-email", "***")]
    [InlineData("@example.com", "***")]
    public void MaskEmail_KeepsFirstLetterAndDomainOnly(string email, string masked) =>
        Assert.Equal(masked, AuthCluster.Api.Hosting.SecurityLog.MaskEmail(email));

    private static void AssertEvent(List<FakeLogRecord> events, string name, string outcome, params (string Key, string Value)[] fields)
    {
        var matching = events.Where(e => e.Id.Name == name && e.GetStructuredStateValue("Outcome") == outcome).ToList();
        Assert.True(matching.Count > 0, $"no {name} event with outcome {outcome} among: {string.Join("; ", events.Select(e => e.Message))}");
        var record = matching[0];
        Assert.Equal(AuthApiFactory.ClientA, record.GetStructuredStateValue("ClientId"));
        Assert.Equal(CustomerIp, record.GetStructuredStateValue("CustomerIp"));
        Assert.True(record.Level >= LogLevel.Information);
        foreach (var (key, value) in fields)
        {
            Assert.Equal(value, record.GetStructuredStateValue(key), StringComparer.OrdinalIgnoreCase);
        }
    }
}
