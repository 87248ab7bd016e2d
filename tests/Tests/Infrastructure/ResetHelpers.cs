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

    /// <summary>Waits for <paramref name="count"/> <c>.eml</c> files in the pickup directory and returns them, oldest first.</summary>
    public static async Task<IReadOnlyList<string>> WaitForPickupAsync(this AuthApiFactory factory, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var files = Directory.Exists(factory.PickupDirectory)
                ? Directory.GetFiles(factory.PickupDirectory, "*.eml").OrderBy(File.GetLastWriteTimeUtc).ToList()
                : [];
            if (files.Count >= count)
            {
                return files;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {count} emails in the pickup directory, found {files.Count}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Requests a reset for <paramref name="email"/> and returns the hash from the email that arrives.</summary>
    public static async Task<string> RequestHashAsync(this AuthApiFactory factory, HttpClient http, string email)
    {
        var before = Directory.Exists(factory.PickupDirectory) ? Directory.GetFiles(factory.PickupDirectory, "*.eml").Length : 0;
        using var response = await http.SendResetEmailAsync(email);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var files = await factory.WaitForPickupAsync(before + 1);
        return HashIn(await File.ReadAllTextAsync(files[^1]));
    }

    [GeneratedRegex("token=([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenPattern();
}
