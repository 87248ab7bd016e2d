using System.Net;
using System.Net.Http.Json;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AuthCluster.Tests.Http;

/// <summary>
/// send-reset-email and update-by-hash through the real API and embedded silo (pickup email provider), on one
/// host for the class.
/// </summary>
public sealed class PasswordResetTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    internal const string NewPassword = "amber-lantern-quietly-17";

    [Fact]
    public async Task SendResetEmail_RegisteredCustomer_WritesReadableEmlWithEncodedLink()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);

        using var response = await http.SendResetEmailAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var eml = await File.ReadAllTextAsync((await factory.WaitForPickupAsync(email, 1)).Single());
        var (headers, body) = SplitAtBlankLine(eml);
        Assert.Contains($"To: {email}\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("From: \"AuthCluster Tests\" <no-reply@authcluster.test>\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("Subject: Reset your password\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("MIME-Version: 1.0\r\n", headers, StringComparison.Ordinal);
        var boundary = System.Text.RegularExpressions.Regex.Match(headers, "Content-Type: multipart/alternative; boundary=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(boundary);

        var parts = body.Split("--" + boundary, StringSplitOptions.None);
        Assert.Equal("--\r\n", parts[^1]);
        var text = parts.Single(p => p.Contains("Content-Type: text/plain; charset=utf-8", StringComparison.Ordinal));
        var html = parts.Single(p => p.Contains("Content-Type: text/html; charset=utf-8", StringComparison.Ordinal));
        var hash = Reset.HashIn(text);
        Assert.Contains($"https://shop-a.example/reset?lang=en&token={hash}\r\n", text, StringComparison.Ordinal);
        Assert.Contains($"href=\"https://shop-a.example/reset?lang=en&amp;token={hash}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendResetEmail_UnknownAndGuestEmail_Returns202AndSendsNothing()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var guestEmail = TestApi.UniqueEmail("guest");
        (await http.GuestAsync(guestEmail)).Dispose();
        var registered = TestApi.UniqueEmail();
        await http.RegisteredAsync(registered);
        var unknownEmail = TestApi.UniqueEmail("nobody");

        using var unknown = await http.SendResetEmailAsync(unknownEmail);
        using var guest = await http.SendResetEmailAsync(guestEmail);
        using var known = await http.SendResetEmailAsync(registered);

        foreach (var response in new[] { unknown, guest, known })
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("""{"status":"accepted"}""", await response.Content.ReadAsStringAsync());
        }

        // The email index decides before it answers whether there is an account to hand the reset to, so after
        // the 202s nothing can still be on its way for the guest or the unknown email: no waiting for stragglers.
        Assert.Single(await factory.WaitForPickupAsync(registered, 1));
        Assert.Empty(factory.PickupFor(guestEmail));
        Assert.Empty(factory.PickupFor(unknownEmail));
    }

    [Theory]
    [InlineData(AuthApiFactory.ClientA, AuthApiFactory.ShopA, "https://shop-a.example/reset")]
    [InlineData(AuthApiFactory.ClientA, AuthApiFactory.ShopA, "http://shop-a.example/reset?token={hash}")]
    [InlineData(AuthApiFactory.ClientA, AuthApiFactory.ShopA, "ftp://shop-a.example/{hash}")]
    [InlineData(AuthApiFactory.ClientA, AuthApiFactory.ShopA, "/reset?token={hash}")]
    [InlineData(AuthApiFactory.ClientA, AuthApiFactory.ShopA, "https://{hash}.attacker.example/")]
    [InlineData(AuthApiFactory.ClientA, AuthApiFactory.ShopA, "https://user@shop-a.example/{hash}")]
    [InlineData(AuthApiFactory.ClientB, AuthApiFactory.ShopB, "https://attacker.example/reset?token={hash}")]
    [InlineData(AuthApiFactory.ClientB, AuthApiFactory.ShopB, "https://shop-b.example:8443/reset?token={hash}")]
    [InlineData(AuthApiFactory.ClientB, AuthApiFactory.ShopB, "http://shop-b.example/reset?token={hash}")]
    public async Task SendResetEmail_UnsafeResetUrl_Returns400InvalidResetUrl(string clientId, long shopId, string resetUrl)
    {
        var factory = fixture.Factory;

        using var response = await factory.ClientFor(clientId).SendResetEmailAsync(TestApi.UniqueEmail(), resetUrl, shopId);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_reset_url");
    }

    [Theory]
    [InlineData(AuthApiFactory.ClientA, AuthApiFactory.ShopA, "http://localhost:3000/reset/{hash}")]
    [InlineData(AuthApiFactory.ClientA, AuthApiFactory.ShopA, "http://127.0.0.1/reset?token={hash}")]
    [InlineData(AuthApiFactory.ClientB, AuthApiFactory.ShopB, "https://SHOP-B.example/reset?token={hash}")]
    public async Task SendResetEmail_AllowedResetUrl_Returns202(string clientId, long shopId, string resetUrl)
    {
        var factory = fixture.Factory;

        using var response = await factory.ClientFor(clientId).SendResetEmailAsync(TestApi.UniqueEmail(), resetUrl, shopId);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task SendResetEmail_ShopOfAnotherClient_Returns403()
    {
        var factory = fixture.Factory;

        using var response = await factory.ClientFor().SendResetEmailAsync(TestApi.UniqueEmail(), shopId: AuthApiFactory.ShopB);

        await response.AssertErrorAsync(HttpStatusCode.Forbidden, "shop_not_allowed");
    }

    [Fact]
    public async Task UpdateByHash_ValidHash_RevokesEarlierSessionsAndReturnsWorkingTokens()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var registration = await http.RegisteredAsync(email);
        using var login = await http.LoginAsync(email);
        var second = await login.TokensAsync();
        var hash = await factory.RequestHashAsync(http, email);

        using var response = await http.UpdateByHashAsync(hash, NewPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var fresh = await response.TokensAsync();
        foreach (var old in new[] { registration, second })
        {
            using var validate = await factory.BearerClient(old.AccessToken).GetAsync("/v1/oauth/token/validate");
            await validate.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
            using var refresh = await http.RefreshAsync(old.RefreshToken);
            await refresh.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        }

        using var validateFresh = await factory.BearerClient(fresh.AccessToken).GetAsync("/v1/oauth/token/validate");
        Assert.Equal(HttpStatusCode.OK, validateFresh.StatusCode);
        using var refreshFresh = await http.RefreshAsync(fresh.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshFresh.StatusCode);
        using var sessions = await factory.BearerClient(fresh.AccessToken).GetAsync("/v1/oauth/tokens");
        Assert.Single((await sessions.JsonAsync()).EnumerateArray());
        using var oldPassword = await http.LoginAsync(email);
        await oldPassword.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        using var newPassword = await http.LoginAsync(email, NewPassword);
        Assert.Equal(HttpStatusCode.OK, newPassword.StatusCode);
    }

    [Fact]
    public async Task UpdateByHash_UsedHash_Returns400InvalidHash()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await factory.RequestHashAsync(http, email);
        using var first = await http.UpdateByHashAsync(hash, NewPassword);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await http.UpdateByHashAsync(hash, "another-fine-passphrase-9");

        await second.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_hash");
        using var login = await http.LoginAsync(email, NewPassword);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task UpdateByHash_SupersededHash_Returns400InvalidHash()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var older = await factory.RequestHashAsync(http, email);
        var newer = await factory.RequestHashAsync(http, email);

        using var olderResponse = await http.UpdateByHashAsync(older, NewPassword);
        using var newerResponse = await http.UpdateByHashAsync(newer, NewPassword);

        await olderResponse.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_hash");
        Assert.Equal(HttpStatusCode.OK, newerResponse.StatusCode);
    }

    [Fact]
    public async Task UpdateByHash_ConcurrentUseOfOneHash_ExactlyOneSucceeds()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await factory.RequestHashAsync(http, email);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => http.UpdateByHashAsync(hash, $"{NewPassword}-{i}")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var failed in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await failed.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_hash");
        }

        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Theory]
    [InlineData("password")]
    [InlineData("Password1")]
    [InlineData("short")]
    public async Task UpdateByHash_WeakPassword_Returns400ValidationErrorAndKeepsHash(string weak)
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await factory.RequestHashAsync(http, email);

        using var rejected = await http.UpdateByHashAsync(hash, weak);

        var error = await rejected.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.True(error.GetProperty("errors").TryGetProperty("password", out _));
        using var accepted = await http.UpdateByHashAsync(hash, NewPassword);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Theory]
    [InlineData("not-a-hash")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task UpdateByHash_UnknownHash_Returns400InvalidHash(string hash)
    {
        var factory = fixture.Factory;

        using var response = await factory.ClientFor().UpdateByHashAsync(hash, NewPassword);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_hash");
    }

    [Fact]
    public async Task UpdateByHash_HashOfAnotherShop_Returns400InvalidHash()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await factory.RequestHashAsync(http, email);

        using var response = await http.UpdateByHashAsync(hash, NewPassword, AuthApiFactory.ShopA2);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_hash");
    }

    [Fact]
    public async Task UpdateByHash_ThrottledAccount_ClearsLoginThrottle()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        for (var i = 0; i < 6; i++)
        {
            (await http.LoginAsync(email, "wrong-password-guess")).Dispose();
        }

        using var throttled = await http.LoginAsync(email);
        await throttled.AssertErrorAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        var hash = await factory.RequestHashAsync(http, email);

        using var reset = await http.UpdateByHashAsync(hash, NewPassword);
        using var login = await http.LoginAsync(email, NewPassword);

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task SendResetEmail_MissingFields_Returns400ValidationError()
    {
        var factory = fixture.Factory;

        using var response = await factory.ClientFor().PostAsJsonAsync("/v1/auth/password/send-reset-email", new { shop_id = 1 });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        Assert.True(error.GetProperty("errors").TryGetProperty("email", out _));
        Assert.True(error.GetProperty("errors").TryGetProperty("reset_url", out _));
    }

    private static (string Headers, string Body) SplitAtBlankLine(string eml)
    {
        var split = eml.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (eml[..(split + 2)], eml[(split + 4)..]);
    }
}

/// <summary>Password reset rules that need a host of their own: other limits or a fake clock.</summary>
public sealed class PasswordResetSettingsTests
{
    private const string NewPassword = PasswordResetTests.NewPassword;

    [Fact]
    public async Task UpdateByHash_ExpiredHash_Returns400InvalidHash()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new AuthApiFactory(time: time);
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await factory.RequestHashAsync(http, email);

        time.Advance(TimeSpan.FromMinutes(60) + TimeSpan.FromSeconds(1));
        using var response = await http.UpdateByHashAsync(hash, NewPassword);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_hash");
    }

    [Fact]
    public async Task UpdateByHash_HashWithinConfiguredLifetime_Succeeds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:PasswordReset:HashLifetime"] = "02:00:00" }, time);
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await factory.RequestHashAsync(http, email);

        time.Advance(TimeSpan.FromMinutes(90));
        using var response = await http.UpdateByHashAsync(hash, NewPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SendResetEmail_OverPerAccountLimit_Returns202ButSendsNoMore()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:PasswordReset:MaxEmailsPerWindow"] = "2" });
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);

        for (var i = 0; i < 4; i++)
        {
            using var response = await http.SendResetEmailAsync(email);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // The limit is applied before each 202: once all four are answered, only two resets were handed on (and a
        // retried delivery rewrites its own file), so two files are final as soon as they are there.
        await factory.WaitForPickupAsync(email, 2);
        Assert.Equal(2, factory.PickupFor(email).Count);
    }

    [Fact]
    public async Task SendResetEmail_OverPerIpLimit_Returns429()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["RateLimiting:PasswordReset:PermitLimit"] = "2" });
        var http = factory.ClientFor();
        http.DefaultRequestHeaders.Add("X-Customer-IP", "203.0.113.7");

        (await http.SendResetEmailAsync(TestApi.UniqueEmail())).Dispose();
        (await http.SendResetEmailAsync(TestApi.UniqueEmail())).Dispose();
        using var third = await http.SendResetEmailAsync(TestApi.UniqueEmail());

        await third.AssertErrorAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.True(third.Headers.Contains("Retry-After"));
    }
}
