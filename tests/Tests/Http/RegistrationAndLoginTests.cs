using System.Net;
using System.Net.Http.Json;
using AuthCluster.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthCluster.Tests.Http;

public sealed class RegistrationAndLoginTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    [Fact]
    public async Task Register_NewEmail_Returns201TokenResponseWithContractClaims()
    {
        var http = _factory.ClientFor();

        using var response = await http.RegisterAsync(TestApi.UniqueEmail());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Contains(response.Headers.Pragma, p => p.Name == "no-cache");
        var tokens = await response.TokensAsync();
        Assert.Equal("Bearer", tokens.TokenType);
        Assert.Equal(900, tokens.ExpiresIn);
        Assert.InRange(tokens.RefreshExpiresIn, 5_183_990, 5_184_000);
        Assert.True(tokens.RefreshToken.Length >= 43, "refresh token must carry at least 256 bits");

        var jwt = new JsonWebToken(tokens.AccessToken);
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));
        Assert.Equal("http://localhost:5080", jwt.Issuer);
        Assert.Equal(["checkout"], jwt.Audiences);
        Assert.Equal("registered", jwt.GetPayloadValue<string>("customer_type"));
        Assert.Equal(AuthApiFactory.ClientA, jwt.GetPayloadValue<string>("client_id"));
        Assert.Equal(AuthApiFactory.ShopA, jwt.GetPayloadValue<long>("shop_id"));
        Assert.True(Guid.TryParse(jwt.GetPayloadValue<string>("sid"), out _));
        Assert.True(Guid.TryParse(jwt.Subject, out _));
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.Equal(jwt.IssuedAt, jwt.ValidFrom);
        Assert.Equal(TimeSpan.FromMinutes(15), jwt.ValidTo - jwt.IssuedAt);
    }

    [Fact]
    public async Task Register_SameEmailDifferentCaseAndSpaces_Returns409EmailTaken()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail("Dup");
        await http.RegisteredAsync(email);

        using var response = await http.RegisterAsync("  " + email.ToUpperInvariant() + " ");

        await response.AssertErrorAsync(HttpStatusCode.Conflict, "email_taken");
    }

    [Fact]
    public async Task Register_SameEmailInAnotherShop_Succeeds()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email, AuthApiFactory.ShopA);

        using var response = await http.RegisterAsync(email, shopId: AuthApiFactory.ShopA2);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Register_TwentyConcurrentWithOneEmail_ExactlyOneSucceeds()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail("race");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => http.RegisterAsync(email)));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        using var login = await http.LoginAsync(email);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Register_ShopNotAllowedForClient_Returns403()
    {
        using var response = await _factory.ClientFor().RegisterAsync(TestApi.UniqueEmail(), shopId: AuthApiFactory.ShopB);

        await response.AssertErrorAsync(HttpStatusCode.Forbidden, "shop_not_allowed");
    }

    [Fact]
    public async Task Login_CorrectPassword_Returns200WithNewSession()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var registered = await http.RegisteredAsync(email);

        using var response = await http.LoginAsync("  " + email.ToUpperInvariant());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = await response.TokensAsync();
        Assert.NotEqual(new JsonWebToken(registered.AccessToken).GetPayloadValue<string>("sid"), new JsonWebToken(tokens.AccessToken).GetPayloadValue<string>("sid"));
        Assert.Equal(new JsonWebToken(registered.AccessToken).Subject, new JsonWebToken(tokens.AccessToken).Subject);
    }

    [Fact]
    public async Task Login_WrongPasswordUnknownEmailOrGuestOnlyEmail_AllAnswerTheSame401()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var guestEmail = TestApi.UniqueEmail("guest");
        (await http.GuestAsync(guestEmail)).EnsureSuccessStatusCode();

        using var wrongPassword = await http.LoginAsync(email, "not-the-right-password");
        using var unknown = await http.LoginAsync(TestApi.UniqueEmail("nobody"));
        using var guestOnly = await http.LoginAsync(guestEmail);

        var bodies = new List<string>();
        foreach (var response in new[] { wrongPassword, unknown, guestOnly })
        {
            await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Single(bodies.Distinct());
    }

    [Fact]
    public async Task Login_PasswordDifferingOnlyBeyond72Bytes_IsRejected()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        var prefix = new string('x', 80) + "-unique-tail-";
        using (var register = await http.RegisterAsync(email, prefix + "A"))
        {
            Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        }

        using var wrong = await http.LoginAsync(email, prefix + "B");
        using var right = await http.LoginAsync(email, prefix + "A");

        await wrong.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task LoginGuest_SameEmailTwice_CreatesTwoGuestsAndNeverBlocksRegistration()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail("guest");

        using var first = await http.GuestAsync(email);
        using var second = await http.GuestAsync(email);
        using var register = await http.RegisterAsync(email);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var a = new JsonWebToken((await first.TokensAsync()).AccessToken);
        var b = new JsonWebToken((await second.TokensAsync()).AccessToken);
        Assert.Equal("guest", a.GetPayloadValue<string>("customer_type"));
        Assert.NotEqual(a.Subject, b.Subject);
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
    }

    [Fact]
    public async Task Register_WithGender_AcceptsContractValues()
    {
        using var response = await _factory.ClientFor().PostAsJsonAsync("/v1/auth/register", new
        {
            first_name = "Émilie", last_name = "du Châtelet", email = TestApi.UniqueEmail(), password = TestApi.GoodPassword, gender = "f", shop_id = AuthApiFactory.ShopA,
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
