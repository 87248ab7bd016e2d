using System.Net;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Email;

/// <summary>The "your password was changed" email after update-by-hash (issue 8, item 8), through the pickup provider.</summary>
public sealed class PasswordChangedNoticeTests
{
    private const string NewPassword = "amber-lantern-quietly-17";

    [Fact]
    public async Task UpdateByHash_Success_EmailsTheCustomerANoticeWithoutAnySecret()
    {
        await using var factory = new AuthApiFactory();
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await factory.RequestHashAsync(http, email);

        using var update = await http.UpdateByHashAsync(hash, NewPassword);

        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var notice = await File.ReadAllTextAsync((await factory.WaitForPickupAsync(email, 2))[1]);
        Assert.Contains($"To: {email}\r\n", notice, StringComparison.Ordinal);
        Assert.Contains("Subject: Your password was changed\r\n", notice, StringComparison.Ordinal);
        Assert.Contains("was changed on", notice, StringComparison.Ordinal);
        foreach (var secret in new[] { hash, NewPassword, "shop-a.example", "token=" })
        {
            Assert.DoesNotContain(secret, notice, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UpdateByHash_RejectedOrRepeated_SendsNoNotice()
    {
        await using var factory = new AuthApiFactory();
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        var hash = await factory.RequestHashAsync(http, email);

        using var weak = await http.UpdateByHashAsync(hash, "Lovelace-forever-2024");
        using var first = await http.UpdateByHashAsync(hash, NewPassword);
        using var repeated = await http.UpdateByHashAsync(hash, NewPassword + "-again");
        await factory.WaitForPickupAsync(email, 2);
        await Task.Delay(500);

        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await repeated.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_hash");
        Assert.Equal(2, Directory.GetFiles(factory.PickupDirectory, "*.eml").Length);
    }

    [Fact]
    public async Task UpdateByHash_ShopTemplate_UsesShopNoticeAndDefaultsForWhatItLeavesOut()
    {
        await using var factory = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Email:Templates:PasswordChanged:Shops:2:Text"] = "Neues Passwort seit {time}.",
        });
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email, AuthApiFactory.ShopA2);
        (await http.SendResetEmailAsync(email, shopId: AuthApiFactory.ShopA2)).Dispose();
        var hash = Reset.HashIn(await File.ReadAllTextAsync((await factory.WaitForPickupAsync(email, 1))[0]));

        (await http.UpdateByHashAsync(hash, NewPassword, AuthApiFactory.ShopA2)).EnsureSuccessStatusCode();

        var notice = await File.ReadAllTextAsync((await factory.WaitForPickupAsync(email, 2))[1]);
        Assert.Matches(@"Neues Passwort seit \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.", notice);
        Assert.Contains("Subject: Your password was changed\r\n", notice, StringComparison.Ordinal);
    }
}
