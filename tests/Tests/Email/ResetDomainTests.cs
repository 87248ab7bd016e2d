using AuthCluster.Api.Clients;
using AuthCluster.Grains.Email;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Silo.Email;

namespace AuthCluster.Tests.Email;

/// <summary>The rules of reset hashes, reset URLs and the reset email, without a cluster.</summary>
public sealed class ResetDomainTests
{
    [Fact]
    public void New_Hash_Is256BitBase64UrlAndMapsToItsKey()
    {
        var (hash, key) = ResetHashes.New();

        Assert.Equal(43, hash.Length);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", hash);
        Assert.True(ResetHashes.TryGetKey(hash, out var parsed));
        Assert.Equal(key, parsed);
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.NotEqual(hash, ResetHashes.New().Hash);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("too-short")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    public void TryGetKey_MalformedHash_ReturnsFalse(string? hash) =>
        Assert.False(ResetHashes.TryGetKey(hash, out _));

    [Theory]
    [InlineData("https://shop.example/reset?token={hash}", true)]
    [InlineData("https://shop.example/reset/{hash}#top", true)]
    [InlineData("http://localhost:3000/reset/{hash}", true)]
    [InlineData("http://127.0.0.1/reset/{hash}", true)]
    [InlineData("http://[::1]:8080/reset/{hash}", true)]
    [InlineData("https://shop.example/reset", false)]
    [InlineData("http://shop.example/reset/{hash}", false)]
    [InlineData("http://127.0.0.2/reset/{hash}", false)]
    [InlineData("javascript:alert('{hash}')", false)]
    [InlineData("//shop.example/{hash}", false)]
    [InlineData("https://shop.example.{hash}/", false)]
    [InlineData("https://{hash}@shop.example/", false)]
    [InlineData("https://shop.example/reset?token={hash} ", false)]
    public void IsAllowed_OriginListed_StillChecksPlaceholderAndTransport(string resetUrl, bool allowed)
    {
        // Every origin these URLs name is listed: what is refused is refused for its shape, not its origin.
        string[] origins = ["https://shop.example", "http://shop.example", "http://localhost:3000", "http://127.0.0.1", "http://127.0.0.2", "http://[::1]:8080"];

        Assert.Equal(allowed, ResetUrlPolicy.IsAllowed(resetUrl, origins));
        Assert.False(ResetUrlPolicy.IsAllowed(resetUrl, []), "a client without ResetUrlOrigins may not send reset links");
    }

    [Theory]
    [InlineData("https://shop.example/reset/{hash}", true)]
    [InlineData("https://SHOP.example:443/reset/{hash}", true)]
    [InlineData("https://shop.example:8443/reset/{hash}", false)]
    [InlineData("https://evil.example/reset/{hash}", false)]
    [InlineData("https://shop.example.evil.example/reset/{hash}", false)]
    [InlineData("http://localhost:3000/{hash}", true)]
    [InlineData("http://localhost:3001/{hash}", false)]
    public void IsAllowed_WithOriginList_RequiresListedOrigin(string resetUrl, bool allowed) =>
        Assert.Equal(allowed, ResetUrlPolicy.IsAllowed(resetUrl, ["https://shop.example", "http://localhost:3000"]));

    [Fact]
    public void Render_LinkWithQuery_UrlEncodesHashAndHtmlEncodesLink()
    {
        var link = ResetEmail.Link("https://shop.example/r?a=1&t={hash}", "abc_-DEF");

        var message = ResetEmail.Render(new EmailTemplates(), 1, "id", "ada@example.com", link, TimeSpan.FromMinutes(60));

        Assert.Equal("https://shop.example/r?a=1&t=abc_-DEF", link);
        Assert.Equal(ResetEmail.DefaultSubject, message.Subject);
        Assert.Contains("https://shop.example/r?a=1&t=abc_-DEF", message.Text, StringComparison.Ordinal);
        Assert.Contains("expires in 60 minutes", message.Text, StringComparison.Ordinal);
        Assert.Contains("href=\"https://shop.example/r?a=1&amp;t=abc_-DEF\"", message.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("a=1&t=", message.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SubjectTemplateWithLineBreak_StaysOneLine()
    {
        var templates = new EmailTemplates { Default = new EmailTemplate { Subject = "Reset\r\nBcc: someone@example.com" } };

        var message = ResetEmail.Render(templates, 1, "id", "ada@example.com", "https://x.example/", TimeSpan.FromHours(1));

        Assert.DoesNotContain('\n', message.Subject);
    }

    [Fact]
    public void DelayAfter_RepeatedFailures_DoublesUpToMax()
    {
        var retry = new EmailRetryOptions { InitialDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(30) };

        Assert.Equal(
            new[] { 0, 5, 10, 20, 30, 30 }.Select(s => TimeSpan.FromSeconds(s)),
            Enumerable.Range(0, 6).Select(retry.DelayAfter));
        Assert.Equal(TimeSpan.FromSeconds(30), retry.DelayAfter(int.MaxValue));
    }

    [Fact]
    public void Write_NonAsciiSubjectAndLongLine_EncodesHeaderAndUsesQuotedPrintable()
    {
        var longLine = "x=" + new string('y', 1200);
        var message = new EmailMessage("m1", "ada@example.com", "Passwort zurücksetzen", longLine, "<p>ok</p>");

        var eml = EmlWriter.Write(message, "Shop <no-reply@shop.example>", new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero));

        Assert.Contains("Subject: =?utf-8?B?", eml, StringComparison.Ordinal);
        Assert.Contains("Date: Tue, 04 Mar 2025 05:06:07 +0000\r\n", eml, StringComparison.Ordinal);
        Assert.Contains("Message-ID: <m1@authcluster>\r\n", eml, StringComparison.Ordinal);
        Assert.Contains("Content-Transfer-Encoding: quoted-printable", eml, StringComparison.Ordinal);
        Assert.Contains("Content-Transfer-Encoding: 8bit", eml, StringComparison.Ordinal);
        Assert.All(eml.Split("\r\n"), line => Assert.True(line.Length <= 998));
        Assert.DoesNotContain('\n', eml.Replace("\r\n", "", StringComparison.Ordinal));
    }

    [Fact]
    public void QuotedPrintable_SpecialCharacters_AreEscapedAndSoftWrapped()
    {
        var encoded = EmlWriter.QuotedPrintable("a=b ü " + new string('z', 100) + " ");

        Assert.StartsWith("a=3Db =C3=BC ", encoded, StringComparison.Ordinal);
        Assert.EndsWith("=20", encoded, StringComparison.Ordinal);
        Assert.All(encoded.Split("\r\n"), line => Assert.True(line.Length <= 76));
        Assert.Contains("=\r\n", encoded, StringComparison.Ordinal);
    }
}
