using System.Net;
using System.Text;
using System.Text.Json;
using AuthCluster.Silo.Hosting;
using AuthCluster.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AuthCluster.Tests.Http;

/// <summary>
/// Rate limits that fit shop backends: the client is authenticated first; customer buckets are per (client, customer
/// network) and only where the client forwards <c>X-Customer-IP</c>; otherwise a per-client bucket; failed client
/// authentication is limited per remote address and never touches a customer's bucket.
/// </summary>
public sealed class ShopRateLimitTests
{
    private const string Attacker = "203.0.113.66";
    private const string ShopBackend = "192.0.2.10";

    [Fact]
    public async Task PerCustomerIp_BucketsAreKeyedByClient()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["RateLimiting:PermitLimit"] = "2" });

        var shopA = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            shopA.Add(await LoginAsync(factory, AuthApiFactory.ClientA, AuthApiFactory.ShopA, customerIp: "198.51.100.1"));
        }

        var shopBSameIp = await LoginAsync(factory, AuthApiFactory.ClientB, AuthApiFactory.ShopB, customerIp: "198.51.100.1");

        Assert.Equal([401, 401, 429], shopA);
        Assert.Equal(401, shopBSameIp);
    }

    [Theory]
    [InlineData("198.51.100.7", "::ffff:198.51.100.7", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("198.51.100.7", "198.51.100.8", false)]
    public async Task PerCustomerIp_NormalizedNetwork_SharesOneBucket(string first, string second, bool shared)
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["RateLimiting:PermitLimit"] = "2" });
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(401, await LoginAsync(factory, AuthApiFactory.ClientA, AuthApiFactory.ShopA, customerIp: first));
        }

        var status = await LoginAsync(factory, AuthApiFactory.ClientA, AuthApiFactory.ShopA, customerIp: second);

        Assert.Equal(shared ? 429 : 401, status);
    }

    [Fact]
    public async Task WithoutCustomerIp_PerClientLimitApplies_CountedAndReportedOnce()
    {
        await using var settings = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["RateLimiting:PerClient:PermitLimit"] = "3",
            ["RateLimiting:PerClient:Window"] = "00:01:00",
        });
        await using var factory = settings.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddFakeLogging()));
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic(AuthApiFactory.ClientA, AuthApiFactory.SecretA);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.GuestAsync(TestApi.UniqueEmail("guest"));
            statuses.Add(response.StatusCode);
            if (i == 3)
            {
                await response.AssertErrorAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
                Assert.InRange(response.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
            }
        }

        using var withCustomerIp = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/login/guest")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { first_name = "Grace", last_name = "Hopper", email = TestApi.UniqueEmail("guest"), shop_id = 1 }), Encoding.UTF8, "application/json"),
        };
        withCustomerIp.Headers.Add("X-Customer-IP", "198.51.100.20");
        using var forwarded = await http.SendAsync(withCustomerIp);
        var otherClient = factory.CreateClient();
        otherClient.DefaultRequestHeaders.Authorization = AuthApiFactory.Basic(AuthApiFactory.ClientB, AuthApiFactory.SecretB);
        using var shopB = await otherClient.GuestAsync(TestApi.UniqueEmail("guest"), AuthApiFactory.ShopB);
        using var management = new HttpClient { BaseAddress = new Uri(factory.Services.GetRequiredService<ManagementListener>().Addresses[0]) };
        var metrics = await management.GetStringAsync("/metrics");
        var reports = factory.Services.GetRequiredService<FakeLogCollector>().GetSnapshot()
            .Where(r => r.Message.Contains("forwards no X-Customer-IP", StringComparison.Ordinal))
            .ToList();

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.Created, forwarded.StatusCode);
        Assert.Equal(HttpStatusCode.Created, shopB.StatusCode);
        Assert.Contains("authcluster_requests_without_customer_ip_total{client_id=\"shop-a\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("authcluster_rate_limited_total{limit=\"per-client\"}", metrics, StringComparison.Ordinal);
        Assert.Single(reports, r => r.Message.Contains("shop-a", StringComparison.Ordinal));
        Assert.Single(reports, r => r.Message.Contains("shop-b", StringComparison.Ordinal));
        Assert.All(reports, r => Assert.Equal(LogLevel.Warning, r.Level));
    }

    [Fact]
    public async Task UnauthenticatedFlood_NamingVictimsIp_CannotLockTheVictimOut()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["RateLimiting:PermitLimit"] = "3",
            ["RateLimiting:FailedClientAuthentication:PermitLimit"] = "5",
        });
        const string victim = "198.51.100.99";

        var flood = new List<int>();
        foreach (var authorization in Enumerable.Repeat<string?>(null, 10).Concat(Enumerable.Repeat(Basic(AuthApiFactory.ClientA, "wrong-secret"), 10)))
        {
            flood.Add((await SendAsync(factory, Attacker, "/v1/auth/login", LoginBody(AuthApiFactory.ShopA), authorization, victim)).Response.StatusCode);
        }

        var victimStatuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            victimStatuses.Add(await LoginAsync(factory, AuthApiFactory.ClientA, AuthApiFactory.ShopA, customerIp: victim, remote: ShopBackend));
        }

        Assert.Equal(Enumerable.Repeat(401, 5).Concat(Enumerable.Repeat(429, 15)), flood);
        Assert.Equal([401, 401, 401], victimStatuses); // invalid_credentials, each one: the victim's bucket was untouched
    }

    [Fact]
    public async Task FailedClientAuthentication_IsLimitedPerRemoteAddress_ValidCredentialsStillPass()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["RateLimiting:FailedClientAuthentication:PermitLimit"] = "3" });
        var wrong = Basic(AuthApiFactory.ClientA, "wrong-secret");

        var fromAttacker = new List<HttpContext>();
        for (var i = 0; i < 4; i++)
        {
            fromAttacker.Add(await SendAsync(factory, Attacker, "/v1/auth/login", LoginBody(AuthApiFactory.ShopA), wrong, customerIp: null));
        }

        var fromElsewhere = await SendAsync(factory, ShopBackend, "/v1/auth/login", LoginBody(AuthApiFactory.ShopA), wrong, customerIp: null);
        var validFromAttackersAddress = await LoginAsync(factory, AuthApiFactory.ClientA, AuthApiFactory.ShopA, customerIp: null, remote: Attacker);

        Assert.Equal([401, 401, 401, 429], fromAttacker.Select(c => c.Response.StatusCode));
        Assert.True(int.Parse(fromAttacker[^1].Response.Headers.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal(401, fromElsewhere.Response.StatusCode);
        Assert.Equal(401, validFromAttackersAddress); // invalid_credentials: the client itself got in
    }

    [Fact]
    public async Task FailedClientAuthentication_ClientSecretPost_CountsToo()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["RateLimiting:FailedClientAuthentication:PermitLimit"] = "2" });
        var form = Encoding.UTF8.GetBytes($"grant_type=refresh_token&refresh_token=x&client_id={AuthApiFactory.ClientA}&client_secret=wrong");

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await SendAsync(factory, Attacker, "/v1/oauth/token", form, authorization: null, customerIp: null, "application/x-www-form-urlencoded")).Response.StatusCode);
        }

        Assert.Equal([401, 401, 429], statuses);
    }

    [Fact]
    public async Task Defaults_PerClientLimit_FitsABusyShop()
    {
        await using var factory = new AuthApiFactory();
        var settings = factory.Services.GetRequiredService<AuthCluster.Api.Hosting.RateLimitSettings>();

        // 200 guest logins a second for a minute must fit with room to spare; the measured run is in the README.
        Assert.True(settings.PerClient.PermitLimit / settings.PerClient.Window.TotalSeconds >= 200 * 2);
    }

    private static byte[] LoginBody(long shopId) =>
        JsonSerializer.SerializeToUtf8Bytes(new { email = TestApi.UniqueEmail("nobody"), password = "whatever-password", shop_id = shopId });

    private static string Basic(string id, string secret) => AuthApiFactory.Basic(id, secret).ToString();

    private static async Task<int> LoginAsync(AuthApiFactory factory, string clientId, long shopId, string? customerIp, string remote = ShopBackend)
    {
        var secret = clientId == AuthApiFactory.ClientA ? AuthApiFactory.SecretA : AuthApiFactory.SecretB;
        var context = await SendAsync(factory, remote, "/v1/auth/login", LoginBody(shopId), Basic(clientId, secret), customerIp);
        return context.Response.StatusCode;
    }

    /// <summary>A request from <paramref name="remote"/> (the connection's address, which only the server side sets).</summary>
    private static Task<HttpContext> SendAsync(
        AuthApiFactory factory, string remote, string path, byte[] body, string? authorization, string? customerIp, string contentType = "application/json") =>
        factory.Server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            context.Request.Method = HttpMethods.Post;
            context.Request.Path = path;
            context.Request.ContentType = contentType;
            context.Request.ContentLength = body.Length;
            context.Request.Body = new MemoryStream(body);
            if (authorization is not null)
            {
                context.Request.Headers.Authorization = authorization;
            }

            if (customerIp is not null)
            {
                context.Request.Headers["X-Customer-IP"] = customerIp;
            }
        });
}
