using System.Net;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Email;

/// <summary>One host (pickup provider) with a notice template for shop 2 only, shared by the class (emails are unique per test).</summary>
public sealed class PasswordChangedNoticeFixture() : ApiFixture(
    new Dictionary<string, string?> { ["Email:Templates:PasswordChanged:Shops:2:Text"] = "Neues Passwort seit {time}." }, null);

/// <summary>The "your password was changed" email after update-by-hash (issue 8, item 8), through the pickup provider.</summary>
public sealed class PasswordChangedNoticeTests(PasswordChangedNoticeFixture fixture) : IClassFixture<PasswordChangedNoticeFixture>
{
    private const string NewPassword = "amber-lantern-quietly-17";

    private readonly AuthApiFactory _factory = fixture.Factory;

    [Fact]
    public async Task UpdateByHash_Success_EmailsTheCustomerANoticeWithoutAnySecret()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await _factory.RequestHashAsync(http, email);

        using var update = await http.UpdateByHashAsync(hash, NewPassword);

        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var notice = await File.ReadAllTextAsync((await _factory.WaitForPickupAsync(email, 2))[1]);
        Assert.Contains("Subject: Your password was changed\r\n", notice, StringComparison.Ordinal);
        Assert.Contains("was changed on", notice, StringComparison.Ordinal);
        foreach (var secret in new[] { hash, NewPassword, "shop-a.example", "token=" })
        {
            Assert.DoesNotContain(secret, notice, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UpdateByHash_RejectedOrRepeated_SendsNoFurtherNotice()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await _factory.RequestHashAsync(http, email);

        using var weak = await http.UpdateByHashAsync(hash, "Lovelace-forever-2024");
        using var first = await http.UpdateByHashAsync(hash, NewPassword);
        using var repeated = await http.UpdateByHashAsync(hash, NewPassword + "-again");
        await _factory.WaitForPickupAsync(email, 2);

        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await repeated.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_hash");
        Assert.False(await Poll.TryUntilAsync(() => _factory.PickupFor(email).Count > 2, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task UpdateByHash_ShopTemplate_UsesShopNoticeAndDefaultsForWhatItLeavesOut()
    {
        var http = _factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email, AuthApiFactory.ShopA2);
        (await http.SendResetEmailAsync(email, shopId: AuthApiFactory.ShopA2)).Dispose();
        var hash = Reset.HashIn(await File.ReadAllTextAsync((await _factory.WaitForPickupAsync(email, 1))[0]));

        (await http.UpdateByHashAsync(hash, NewPassword, AuthApiFactory.ShopA2)).EnsureSuccessStatusCode();

        var notice = await File.ReadAllTextAsync((await _factory.WaitForPickupAsync(email, 2))[1]);
        Assert.Matches(@"Neues Passwort seit \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.", notice);
        Assert.Contains("Subject: Your password was changed\r\n", notice, StringComparison.Ordinal);
    }
}
