using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace AuthCluster.Tests.Infrastructure;

/// <summary>Password-reset request helpers and readers for the emails the pickup provider writes.</summary>
public static partial class Reset
{
    /// <summary>A reset URL shop A's client may use (its origin is in the client's ResetUrlOrigins).</summary>
    public const string Url = "https://shop-a.example/reset?lang=en&token={hash}";

    public static Task<HttpResponseMessage> SendResetEmailAsync(this HttpClient http, string email, string resetUrl = Url, long shopId = AuthApiFactory.ShopA) =>
        http.PostAsJsonAsync("/v1/auth/password/send-reset-email", new { shop_id = shopId, email, reset_url = resetUrl });

    public static Task<HttpResponseMessage> UpdateByHashAsync(this HttpClient http, string hash, string password, long shopId = AuthApiFactory.ShopA) =>
        http.PutAsJsonAsync("/v1/auth/password/update-by-hash", new { shop_id = shopId, hash, password });

    /// <summary>The hash in a link built from <see cref="Url"/>.</summary>
    public static string HashIn(string text) => TokenPattern().Match(text) is { Success: true } match
        ? match.Groups[1].Value
        : throw new InvalidOperationException("No reset link in the email.");

    /// <summary>The <c>.eml</c> files in the pickup directory addressed to <paramref name="to"/>, oldest first.</summary>
    /// <remarks>By recipient, because tests of a class share one host and with it one pickup directory.</remarks>
    public static IReadOnlyList<string> PickupFor(this AuthApiFactory factory, string to) =>
        Directory.Exists(factory.PickupDirectory)
            ? [.. Directory.GetFiles(factory.PickupDirectory, "*.eml")
                .Where(file => File.ReadAllText(file).Contains($"To: {to}\r\n", StringComparison.Ordinal))
                .OrderBy(File.GetLastWriteTimeUtc)]
            : [];

    /// <summary>Waits for <paramref name="count"/> emails to <paramref name="to"/> and returns them, oldest first.</summary>
    public static async Task<IReadOnlyList<string>> WaitForPickupAsync(this AuthApiFactory factory, string to, int count, TimeSpan? timeout = null)
    {
        IReadOnlyList<string> files = [];
        await Poll.UntilAsync(() => (files = factory.PickupFor(to)).Count >= count, $"{count} email(s) in the pickup directory", timeout);
        return files;
    }

    /// <summary>
    /// Requests a reset for <paramref name="email"/> and returns the hash from the reset email that arrives (other
    /// emails, such as a password-changed notice of an earlier reset, may arrive meanwhile and are passed over).
    /// </summary>
    public static async Task<string> RequestHashAsync(this AuthApiFactory factory, HttpClient http, string email)
    {
        var before = factory.PickupFor(email).ToHashSet(StringComparer.Ordinal);
        using var response = await http.SendResetEmailAsync(email);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        string? hash = null;
        await Poll.UntilAsync(
            () => (hash = factory.PickupFor(email).Where(file => !before.Contains(file)).Select(File.ReadAllText)
                .FirstOrDefault(TokenPattern().IsMatch) is { } text ? HashIn(text) : null) is not null,
            $"a reset email to {email}");
        return hash!;
    }

    [GeneratedRegex("token=([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenPattern();
}
