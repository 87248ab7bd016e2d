using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuthCluster.Api.Tokens;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace AuthCluster.Tests.Http;

/// <summary>
/// Tokens that only the holder of a signing key could make (issue 8, item 10): each is signed here with the
/// service's real current key, so the signature is valid and only the rule under test can refuse it.
/// </summary>
public sealed class JwtEdgeCaseTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly AuthApiFactory _factory = fixture.Factory;

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("application/at+jwt")]
    public async Task Validate_ResignedTokenWithAccessTokenType_Returns200(string type)
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var response = await ValidateAsync(await ResignAsync(tokens.AccessToken, header => header["typ"] = type));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Validate_CritHeader_Returns401()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var response = await ValidateAsync(await ResignAsync(tokens.AccessToken, header =>
        {
            header["crit"] = new JsonArray("urn:example:extension");
            header["urn:example:extension"] = true;
        }));

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Validate_X5tInsteadOfKid_Returns401NotServerError()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var response = await ValidateAsync(await ResignAsync(tokens.AccessToken, header =>
        {
            header["x5t"] = header["kid"]!.GetValue<string>();
            header.Remove("kid");
        }));

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Validate_NoKid_Returns401()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var response = await ValidateAsync(await ResignAsync(tokens.AccessToken, header => header.Remove("kid")));

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task ValidateAndLogout_SubjectOfAnotherCustomerWithOwnSession_Returns401AndLeavesVictimLoggedIn()
    {
        var http = _factory.ClientFor();
        var attacker = await http.RegisteredAsync();
        var victim = await http.RegisteredAsync();
        var victimId = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(victim.AccessToken).Subject;
        var forged = await ResignAsync(attacker.AccessToken, payload: claims => claims["sub"] = victimId);

        using var validate = await ValidateAsync(forged);
        using var logout = await _factory.BearerClient(forged).PostAsync("/v1/auth/logout", content: null);
        using var victimStill = await ValidateAsync(victim.AccessToken);

        await validate.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
        await logout.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, victimStill.StatusCode);
    }

    [Fact]
    public async Task Validate_CustomerTypeChangedToGuest_Returns401()
    {
        var tokens = await _factory.ClientFor().RegisteredAsync();

        using var response = await ValidateAsync(await ResignAsync(tokens.AccessToken, payload: claims => claims["customer_type"] = "guest"));

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    private Task<HttpResponseMessage> ValidateAsync(string accessToken) =>
        _factory.BearerClient(accessToken).GetAsync("/v1/oauth/token/validate");

    /// <summary>
    /// The token with its header and payload edited, signed again (ES256, JWS compact) with the current signing key.
    /// </summary>
    private async Task<string> ResignAsync(string token, Action<JsonObject>? header = null, Action<JsonObject>? payload = null)
    {
        var parts = token.Split('.');
        var headerJson = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
        var payloadJson = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        header?.Invoke(headerJson);
        payload?.Invoke(payloadJson);

        var ring = await _factory.Services.GetRequiredService<SigningKeyCache>().GetAsync();
        var key = ring.Keys.Single(k => k.KeyId == new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Kid);
        var signingInput = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(headerJson))
            + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payloadJson));

        // ECDsa signs in the IEEE P1363 form (r ‖ s) that JWS uses.
        var signature = ((ECDsaSecurityKey)key.SecurityKey).ECDsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }
}
