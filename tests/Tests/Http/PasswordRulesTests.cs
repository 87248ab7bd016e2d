using System.Net;
using System.Net.Http.Json;
using System.Text;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace AuthCluster.Tests.Http;

/// <summary>Password normalization, context words and the configurable minimum length (issue 8, item 7).</summary>
public sealed class PasswordRulesTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    // "Crème brûlée à la façon de Noël 7" with every accent as one code point (NFC) and decomposed (NFD).
    private static readonly string Nfc = "Crème brûlée à la façon de Noël 7".Normalize(NormalizationForm.FormC);
    private static readonly string Nfd = Nfc.Normalize(NormalizationForm.FormD);

    private readonly AuthApiFactory _factory = fixture.Factory;

    [Fact]
    public async Task Register_DecomposedPassword_LogsInWithComposedForm()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        Assert.NotEqual(Nfc, Nfd);

        (await http.RegisterAsync(email, Nfd)).EnsureSuccessStatusCode();
        using var login = await http.LoginAsync(email, Nfc);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    /// <summary>
    /// A hash made before passwords were normalized holds the form as typed (here: decomposed). The first login with
    /// that form still works and replaces the hash by one of the normalized form, so the composed spelling works after.
    /// </summary>
    [Fact]
    public async Task Login_HashOfUnnormalizedPassword_WorksAndIsUpgradedToTheNormalizedForm()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        // The grain hashes what it is given; only the API normalizes, so this is how an old account was stored.
        var registered = await _factory.Grains.GetGrain<AuthCluster.Grains.Interfaces.IEmailIndexGrain>(
                AuthCluster.Grains.Interfaces.Formats.EmailAddress.IndexKey(AuthApiFactory.ShopA, email))
            .Register(new AuthCluster.Grains.Interfaces.Profile("Old", "Account", email, null), Nfd, new("test", null, null));
        Assert.NotNull(registered.Grant);

        using var composedBefore = await http.LoginAsync(email, Nfc);
        using var typed = await http.LoginAsync(email, Nfd);
        using var composedAfter = await http.LoginAsync(email, Nfc);

        Assert.Equal(HttpStatusCode.Unauthorized, composedBefore.StatusCode);
        Assert.Equal(HttpStatusCode.OK, typed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, composedAfter.StatusCode);
    }

    [Fact]
    public async Task Register_FullwidthPassword_LogsInWithAsciiForm()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        const string ascii = "violet-staple-orbit-42";
        var fullwidth = string.Concat(ascii.Select(c => (char)(c + 0xFEE0)));

        (await http.RegisterAsync(email, fullwidth)).EnsureSuccessStatusCode();
        using var login = await http.LoginAsync(email, ascii);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Register_CommonPasswordInFullwidthForm_IsStillCommon()
    {
        var fullwidthCommon = string.Concat("password123".Select(c => (char)(c + 0xFEE0)));

        using var response = await _factory.ClientFor().RegisterAsync(TestApi.UniqueEmail(), fullwidthCommon);

        await AssertPasswordProblemAsync(response, "too common");
    }

    [Theory]
    [InlineData("my-LOVELACE-secret-9")]
    [InlineData("charles-babbage-fan-1")]
    [InlineData("ｌｏｖｅｌａｃｅ-ｓｅｃｒｅｔ-9")]
    public async Task Register_PasswordContainingNameOrLocalPart_Returns400OnPassword(string password)
    {
        using var response = await _factory.ClientFor().PostAsJsonAsync("/v1/auth/register", new
        {
            first_name = "Ada",
            last_name = "Lovelace",
            email = $"charles.babbage{Guid.NewGuid():N}@example.com",
            password,
            shop_id = AuthApiFactory.ShopA,
        });

        await AssertPasswordProblemAsync(response, "name");
    }

    [Fact]
    public async Task Register_PasswordContainingAShortNameOnly_IsAccepted()
    {
        // "Ada" has three letters: below the context-word minimum, so "adamant" passphrases stay allowed.
        using var response = await _factory.ClientFor().RegisterAsync(TestApi.UniqueEmail(), "adamant-ada-orbit-42");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task UpdateByHash_PasswordContainingCustomersName_Returns400AndKeepsTheHash()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await _factory.RequestHashAsync(http, email);

        using var rejected = await http.UpdateByHashAsync(hash, "Lovelace-forever-2024");
        using var accepted = await http.UpdateByHashAsync(hash, Nfd);
        using var login = await http.LoginAsync(email, Nfc);

        await AssertPasswordProblemAsync(rejected, "name");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Register_BelowConfiguredMinLength_Returns400()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Passwords:MinLength"] = "12" });
        var http = factory.ClientFor();

        using var tooShort = await http.RegisterAsync(TestApi.UniqueEmail(), "amber-lamp9");
        using var longEnough = await http.RegisterAsync(TestApi.UniqueEmail(), "amber-lamp-9");

        await AssertPasswordProblemAsync(tooShort, "at least 12 characters");
        Assert.Equal(HttpStatusCode.Created, longEnough.StatusCode);
    }

    [Fact]
    public void Start_WithMinLengthBelowEight_Refuses()
    {
        using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Passwords:MinLength"] = "6" });

        var failure = Record.Exception(() => factory.Server);

        Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("MinLength", failure.Message, StringComparison.Ordinal);
    }

    private static async Task AssertPasswordProblemAsync(HttpResponseMessage response, string reason)
    {
        var body = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "validation_error");
        var errors = body.GetProperty("errors");
        var message = Assert.Single(errors.GetProperty("password").EnumerateArray()).GetString();
        Assert.Contains(reason, message, StringComparison.OrdinalIgnoreCase);
        Assert.Single(errors.EnumerateObject());
    }
}
