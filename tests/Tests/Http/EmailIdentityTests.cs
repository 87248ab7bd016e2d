using System.Net;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Http;

/// <summary>Which spellings of an address are one account, and which are refused (issue 8, item 6).</summary>
public sealed class EmailIdentityTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly HttpClient _http = fixture.Factory.ClientFor();

    [Theory]
    [InlineData("upper")]
    [InlineData("fullwidth")]
    [InlineData("fullwidth-at")]
    [InlineData("idn-unicode")]
    public async Task Register_VariantThatFoldsToTheSameAddress_Returns409AndLogsIn(string variant)
    {
        var local = Local();
        await _http.RegisteredAsync($"{local}@xn--bcher-kva.example");
        var spelling = variant switch
        {
            "upper" => $"{local.ToUpperInvariant()}@XN--BCHER-KVA.EXAMPLE",
            "fullwidth" => $"{Fullwidth(local)}@xn--bcher-kva.example",
            "fullwidth-at" => $"{local}\uFF20xn--bcher-kva.example",
            _ => $"{local}@BÜCHER.example",
        };

        using var register = await _http.RegisterAsync(spelling);
        using var login = await _http.LoginAsync(spelling);

        await register.AssertErrorAsync(HttpStatusCode.Conflict, "email_taken");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Theory]
    [InlineData("{0}@example.com.", "must not end with a dot")]
    [InlineData("ka\u00ADte{0}@example.com", "invisible")]
    [InlineData("ka\u200Bte{0}@example.com", "invisible")]
    [InlineData("ka\u200Dte{0}@example.com", "invisible")]
    [InlineData("\uFEFFkate{0}@example.com", "invisible")]
    [InlineData("kate{0}\u202E@example.com", "invisible")]
    [InlineData("kate{0}\uFE0F@example.com", "invisible")]
    [InlineData("kate{0}@exam\u00ADple.com", "invisible")]
    [InlineData("k\u0430te{0}@example.com", "mix letters")]
    [InlineData("\u03BAate{0}@example.com", "mix letters")]
    [InlineData("kate{0}@exa_mple.bücher", "valid domain")]
    public async Task RegisterLoginGuestAndReset_AddressThatOnlyLooksLikeAnother_Returns400OnEmail(string template, string reason)
    {
        var email = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Guid.NewGuid().ToString("N")[..8]);

        using var register = await _http.RegisterAsync(email);
        using var login = await _http.LoginAsync(email);
        using var guest = await _http.GuestAsync(email);

        foreach (var response in new[] { register, login, guest })
        {
            var body = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
            var message = Assert.Single(body.GetProperty("errors").GetProperty("email").EnumerateArray()).GetString();
            Assert.Contains(reason, message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Register_SingleScriptNonLatinLocalPart_IsItsOwnAccount()
    {
        // Digits only: they belong to no script, so the Cyrillic local part stays single-script.
        var suffix = Random.Shared.NextInt64(10_000_000_000, 99_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

        using var cyrillic = await _http.RegisterAsync($"катя{suffix}@example.com");
        using var latin = await _http.RegisterAsync($"katya{suffix}@example.com");
        using var mixedWithCjk = await _http.RegisterAsync($"taro山田{suffix}@example.com");

        Assert.Equal(HttpStatusCode.Created, cyrillic.StatusCode);
        Assert.Equal(HttpStatusCode.Created, latin.StatusCode);
        Assert.Equal(HttpStatusCode.Created, mixedWithCjk.StatusCode);
    }

    private static string Local() => "kate" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The fullwidth forms (U+FF01–U+FF5E) of printable ASCII, which NFKC folds back.</summary>
    private static string Fullwidth(string ascii) => string.Concat(ascii.Select(c => (char)(c + 0xFEE0)));
}
