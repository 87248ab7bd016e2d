using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Http;

/// <summary>
/// From the public port, an existing and an unknown account are indistinguishable: status, body and headers of a
/// failed login and of a reset request, and every anonymous endpoint (their timing: <see cref="AccountTimingTests"/>).
/// </summary>
public sealed class AccountEnumerationTests
{
    private static readonly string[] AnonymousPaths =
    [
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/health/live",
        "/health/ready",
        "/openapi/v1.json",
        "/metrics",
    ];

    [Fact]
    public async Task Login_WrongPasswordAndUnknownEmail_AreIdenticalOnTheWire()
    {
        await using var factory = new AuthApiFactory();
        var http = factory.ClientFor();
        var known = TestApi.UniqueEmail("known");
        await http.RegisteredAsync(known);

        using var wrongPassword = await http.LoginAsync(known, "not-the-password-1");
        using var unknownEmail = await http.LoginAsync(TestApi.UniqueEmail("unknown"), "not-the-password-1");

        Assert.Equal(await WireAsync(wrongPassword), await WireAsync(unknownEmail));
    }

    [Fact]
    public async Task SendResetEmail_ExistingAndUnknownAccount_AreIdenticalOnTheWire()
    {
        await using var factory = new AuthApiFactory();
        var http = factory.ClientFor();
        var known = TestApi.UniqueEmail("known");
        await http.RegisteredAsync(known);

        using var existing = await http.SendResetEmailAsync(known);
        using var unknown = await http.SendResetEmailAsync(TestApi.UniqueEmail("unknown"));

        Assert.Equal(await WireAsync(existing), await WireAsync(unknown));
    }

    [Fact]
    public async Task AnonymousEndpoints_DoNotChangeWithAccountActivity()
    {
        await using var factory = new AuthApiFactory();
        var anonymous = factory.CreateClient();
        var http = factory.ClientFor();
        (await http.LoginAsync(TestApi.UniqueEmail("warmup"))).Dispose();
        var before = await SnapshotAsync(anonymous);

        // What an attacker would do to learn whether an account exists: make it do something, then look.
        var email = TestApi.UniqueEmail("known");
        await http.RegisteredAsync(email);
        (await http.LoginAsync(email)).Dispose();
        (await http.LoginAsync(email, "not-the-password-1")).Dispose();
        (await http.SendResetEmailAsync(email)).Dispose();
        await factory.WaitForPickupAsync(email, 1);
        var after = await SnapshotAsync(anonymous);

        Assert.Equal(before, after);
        Assert.StartsWith("404 ", after[Array.IndexOf(AnonymousPaths, "/metrics")], StringComparison.Ordinal);
    }

    private static async Task<string[]> SnapshotAsync(HttpClient http)
    {
        var snapshot = new List<string>();
        foreach (var path in AnonymousPaths)
        {
            using var response = await http.GetAsync(path);
            snapshot.Add(await WireAsync(response));
        }

        return [.. snapshot];
    }

    /// <summary>Status, every header and the body, as one comparable text.</summary>
    private static async Task<string> WireAsync(HttpResponseMessage response)
    {
        var headers = response.Headers.Concat(response.Content.Headers)
            .OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .Select(h => $"{h.Key}: {string.Join(", ", h.Value)}");
        return $"{(int)response.StatusCode} {string.Join(" | ", headers)}\n{await response.Content.ReadAsStringAsync()}";
    }
}
