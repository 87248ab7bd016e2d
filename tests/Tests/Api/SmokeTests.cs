using System.Net;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Api;

public sealed class SmokeTests
{
    [Fact]
    public async Task Register_ThenValidate_ReturnsActiveClaims()
    {
        await using var factory = new AuthApiFactory();
        var tokens = await factory.ClientFor().RegisteredAsync();

        using var response = await factory.BearerClient(tokens.AccessToken).GetAsync("/v1/oauth/token/validate");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.JsonAsync();
        Assert.True(json.GetProperty("active").GetBoolean());
        Assert.Equal(AuthApiFactory.ClientA, json.GetProperty("client_id").GetString());
    }
}
