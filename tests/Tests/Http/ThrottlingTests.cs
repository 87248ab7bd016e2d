using System.Net;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AuthCluster.Tests.Http;

/// <summary>One host with short throttling settings on a fake clock, shared by the class (throttles are per email).</summary>
public sealed class ThrottlingFixture() : ApiFixture(ThrottlingTests.Throttling, new FakeTimeProvider(DateTimeOffset.UtcNow));

public sealed class ThrottlingTests(ThrottlingFixture fixture) : IClassFixture<ThrottlingFixture>
{
    internal static Dictionary<string, string?> Throttling => new()
    {
        ["Auth:Throttling:FreeFailures"] = "3",
        ["Auth:Throttling:BaseDelay"] = "00:00:10",
        ["Auth:Throttling:MaxDelay"] = "00:01:00",
    };

    [Fact]
    public async Task Login_AttemptAfterFreeFailures_IsThrottledWithRetryAfterForKnownAndUnknownEmails()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var known = TestApi.UniqueEmail();
        await http.RegisteredAsync(known);
        var unknown = TestApi.UniqueEmail("nobody");

        foreach (var email in new[] { known, unknown })
        {
            // FreeFailures = 3: three failures are free, the fourth attempt is throttled (even with the right password).
            for (var i = 0; i < 3; i++)
            {
                await (await http.LoginAsync(email, "wrong-password-123")).AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
            }

            using var throttled = await http.LoginAsync(email, email == known ? TestApi.GoodPassword : "wrong-password-123");
            await throttled.AssertErrorAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
            Assert.Equal(TimeSpan.FromSeconds(10), throttled.Headers.RetryAfter!.Delta);
        }
    }

    [Fact]
    public async Task Login_DelayDoublesUpToMaxDelayThenOwnerGetsIn()
    {
        var (factory, time) = (fixture.Factory, fixture.Time);
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var delays = new List<TimeSpan>();

        for (var i = 0; i < 2; i++)
        {
            (await http.LoginAsync(email, "wrong-password-123")).Dispose();
        }

        for (var i = 0; i < 5; i++)
        {
            (await http.LoginAsync(email, "wrong-password-123")).Dispose();
            using var throttled = await http.LoginAsync(email);
            delays.Add(throttled.Headers.RetryAfter!.Delta!.Value);
            time.Advance(delays[^1]);
        }

        using var owner = await http.LoginAsync(email);

        Assert.Equal([10, 20, 40, 60, 60], delays.Select(d => (int)d.TotalSeconds));
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
    }

    [Fact]
    public async Task Login_SuccessResetsFailureCount()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        // Two failures of the three free ones, then a success: the count starts over.
        for (var i = 0; i < 2; i++)
        {
            (await http.LoginAsync(email, "wrong-password-123")).Dispose();
        }

        (await http.LoginAsync(email)).EnsureSuccessStatusCode();
        for (var i = 0; i < 2; i++)
        {
            await (await http.LoginAsync(email, "wrong-password-123")).AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        using var response = await http.LoginAsync(email);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Login_ThrottleIsPerShop()
    {
        var factory = fixture.Factory;
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email, AuthApiFactory.ShopA2);
        for (var i = 0; i < 4; i++)
        {
            (await http.LoginAsync(email, "wrong-password-123", AuthApiFactory.ShopA)).Dispose();
        }

        using var otherShop = await http.LoginAsync(email, shopId: AuthApiFactory.ShopA2);

        Assert.Equal(HttpStatusCode.OK, otherShop.StatusCode);
    }

    [Fact]
    public async Task RateLimiter_PerCustomerIp_Returns429WithRetryAfter()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["RateLimiting:PermitLimit"] = "3" });
        var http = factory.ClientFor();

        async Task<HttpResponseMessage> Send(string ip)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/login")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { email = "a@example.com", password = "whatever-password", shop_id = 1 }),
            };
            request.Headers.Add("X-Customer-IP", ip);
            return await http.SendAsync(request);
        }

        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add(await Send("198.51.100.1"));
        }

        using var otherIp = await Send("198.51.100.2");

        Assert.Equal(3, statuses.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        await statuses[^1].AssertErrorAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.NotNull(statuses[^1].Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.Unauthorized, otherIp.StatusCode);
    }
}
