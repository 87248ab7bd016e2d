using System.Net;
using System.Text.Json;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Email;

/// <summary>Reset emails through the real SendGrid client against a local stand-in of the v3 API.</summary>
public sealed class SendGridDeliveryTests
{
    internal const string ApiKey = "SG.test-api-key";

    [Fact]
    public async Task SendResetEmail_RegisteredCustomer_ArrivesAtSendGridWithRecipientSubjectAndLink()
    {
        await using var sendGrid = await SendGridStandIn.StartAsync();
        await using var factory = new AuthApiFactory(SendGridSettings(sendGrid));
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);

        using var response = await http.SendResetEmailAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var mail = Assert.Single(await sendGrid.WaitForDeliveriesAsync(1));
        Assert.Equal("/v3/mail/send", mail.Path);
        Assert.Equal($"Bearer {ApiKey}", mail.Authorization);
        Assert.Equal(email, mail.To);
        Assert.Equal("no-reply@authcluster.test", mail.From);
        Assert.Equal("Reset your password", mail.Subject);
        var hash = Reset.HashIn(mail.Content("text/plain"));
        Assert.Contains($"https://shop-a.example/reset?lang=en&token={hash}", mail.Content("text/plain"), StringComparison.Ordinal);
        Assert.Contains($"href=\"https://shop-a.example/reset?lang=en&amp;token={hash}\"", mail.Content("text/html"), StringComparison.Ordinal);
        Assert.False(mail.Body.GetProperty("tracking_settings").GetProperty("click_tracking").GetProperty("enable").GetBoolean());

        using var update = await http.UpdateByHashAsync(hash, "amber-lantern-quietly-17");
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
    }

    [Fact]
    public async Task UpdateByHash_PasswordChanged_NoticeArrivesAtSendGridWithoutAnySecret()
    {
        const string newPassword = "amber-lantern-quietly-17";
        await using var sendGrid = await SendGridStandIn.StartAsync();
        var settings = SendGridSettings(sendGrid);
        settings["Email:Templates:PasswordChanged:Shops:2:Subject"] = "Ihr Passwort wurde geändert";
        await using var factory = new AuthApiFactory(settings);
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email, AuthApiFactory.ShopA2);
        (await http.SendResetEmailAsync(email, shopId: AuthApiFactory.ShopA2)).Dispose();
        var hash = Reset.HashIn((await sendGrid.WaitForDeliveriesAsync(1))[0].Content("text/plain"));

        using var update = await http.UpdateByHashAsync(hash, newPassword, AuthApiFactory.ShopA2);

        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var notice = (await sendGrid.WaitForDeliveriesAsync(2))[1];
        Assert.Equal(email, notice.To);
        Assert.Equal("Ihr Passwort wurde geändert", notice.Subject);
        Assert.Contains("was changed on", notice.Content("text/plain"), StringComparison.Ordinal);
        foreach (var secret in new[] { hash, newPassword, "shop-a.example", "token=" })
        {
            Assert.DoesNotContain(secret, notice.Body.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SendResetEmail_ShopTemplateConfigured_UsesShopSubjectAndText()
    {
        await using var sendGrid = await SendGridStandIn.StartAsync();
        var settings = SendGridSettings(sendGrid);
        settings["Email:Templates:Shops:2:Subject"] = "Neues Passwort für Ihr Konto";
        settings["Email:Templates:Shops:2:Text"] = "Link: {link} (gültig {minutes} Minuten)";
        await using var factory = new AuthApiFactory(settings);
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email, AuthApiFactory.ShopA2);

        using var response = await http.SendResetEmailAsync(email, shopId: AuthApiFactory.ShopA2);

        var mail = Assert.Single(await sendGrid.WaitForDeliveriesAsync(1));
        Assert.Equal("Neues Passwort für Ihr Konto", mail.Subject);
        var hash = Reset.HashIn(mail.Content("text/plain"));
        Assert.Equal($"Link: https://shop-a.example/reset?lang=en&token={hash} (gültig 60 Minuten)", mail.Content("text/plain"));

        // The shop left the HTML out: the default one is used.
        Assert.Contains("Choose a new password", mail.Content("text/html"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendResetEmail_ProviderFailsAndSiloRestarts_DeliversExactlyOnce()
    {
        await using var sendGrid = await SendGridStandIn.StartAsync();
        var database = Path.Combine(Path.GetTempPath(), $"authcluster-reset-{Guid.NewGuid():N}.db");
        try
        {
            sendGrid.FailFirst(2);
            var email = TestApi.UniqueEmail();
            var first = SendGridSettings(sendGrid, database);

            // The first node retries only in ten minutes: it goes down with the email still pending.
            first["Email:Retry:InitialDelay"] = "00:10:00";
            first["Email:Retry:MaxDelay"] = "00:10:00";
            await using (var factory = new AuthApiFactory(first))
            {
                var http = factory.ClientFor();
                await http.RegisteredAsync(email);
                using var response = await http.SendResetEmailAsync(email);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                Assert.True(await sendGrid.WaitUntilAsync(() => sendGrid.Calls.Count >= 1));
            }

            Assert.Empty(sendGrid.Delivered);
            await using (var restarted = new AuthApiFactory(SendGridSettings(sendGrid, database)))
            {
                _ = restarted.Server; // starts the host and with it the silo, which resumes pending emails

                var delivered = await sendGrid.WaitForDeliveriesAsync(1, TimeSpan.FromSeconds(30));

                // Once the delivery is on record, nothing drives this email again (not the outbox's resume, not a
                // retry timer): from then on the calls the stand-in saw are final.
                await Poll.UntilAsync(() => DeliveryRecordedAsync(database), "the delivery to be recorded");

                var mail = Assert.Single(sendGrid.Delivered);
                Assert.Equal(email, mail.To);
                Assert.Equal(3, sendGrid.Calls.Count);
                Assert.All(sendGrid.Calls, c => Assert.Equal(email, c.To));

                var hash = Reset.HashIn(mail.Content("text/plain"));
                using var update = await restarted.ClientFor().UpdateByHashAsync(hash, "amber-lantern-quietly-17");
                Assert.Equal(HttpStatusCode.OK, update.StatusCode);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(database);
        }
    }

    /// <summary>True once the reset grain has persisted that its email went out (it never sends it again then).</summary>
    private static async Task<bool> DeliveryRecordedAsync(string database)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM orleans_grain_state WHERE grain_type = 'passwordreset' AND payload IS NOT NULL";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            using var state = JsonDocument.Parse((byte[])reader[0]);
            if (state.RootElement.TryGetProperty("DeliveredAt", out var deliveredAt) && deliveredAt.ValueKind != JsonValueKind.Null)
            {
                return true;
            }
        }

        return false;
    }

    internal static Dictionary<string, string?> SendGridSettings(SendGridStandIn sendGrid, string? sqliteFile = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Email:Provider"] = "SendGrid",
            ["Email:SendGrid:ApiKey"] = ApiKey,
            ["Email:SendGrid:Host"] = sendGrid.Host,
            ["Email:Retry:InitialDelay"] = "00:00:00.200",
            ["Email:Retry:MaxDelay"] = "00:00:01",
        };
        if (sqliteFile is not null)
        {
            settings["Storage:Provider"] = "Sqlite";
            settings["Storage:ConnectionString"] = $"Data Source={sqliteFile}";
        }

        return settings;
    }
}

/// <summary>What readiness reports about the email provider (a class of its own, so it runs beside the delivery tests).</summary>
public sealed class SendGridHealthTests
{
    private const string ApiKey = SendGridDeliveryTests.ApiKey;

    [Fact]
    public async Task HealthReady_ProviderRefusesApiKey_ReportsEmailDegraded()
    {
        await using var sendGrid = await SendGridStandIn.StartAsync();
        sendGrid.AnswerWith(401);
        await using var factory = new AuthApiFactory(SendGridSettings(sendGrid));
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);

        using var response = await http.SendResetEmailAsync(email);

        // The stand-in records a call before the sender has read the answer: wait for a second attempt.
        Assert.True(await sendGrid.WaitUntilAsync(() => sendGrid.Calls.Count >= 2));
        using var health = await factory.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var report = await health.JsonAsync();
        Assert.Equal("Degraded", report.GetProperty("status").GetString());
        Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("cluster").GetProperty("status").GetString());
        var check = report.GetProperty("checks").GetProperty("email");
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Contains("401", check.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthReady_ProviderAcceptsAgain_ReportsHealthy()
    {
        await using var sendGrid = await SendGridStandIn.StartAsync();
        sendGrid.AnswerWith(403);
        var settings = SendGridSettings(sendGrid);
        settings["Email:Retry:InitialDelay"] = "00:00:00.300";
        await using var factory = new AuthApiFactory(settings);
        var http = factory.ClientFor();
        var email = TestApi.UniqueEmail();
        await http.RegisteredAsync(email);
        using var response = await http.SendResetEmailAsync(email);
        Assert.True(await sendGrid.WaitUntilAsync(() => sendGrid.Calls.Count >= 1));

        // The operator fixes the key: the queued email goes out on the next retry and readiness recovers.
        sendGrid.AnswerWith(null);
        Assert.Equal(email, Assert.Single(await sendGrid.WaitForDeliveriesAsync(1)).To);

        // The stand-in records the request before the sender has read its 202, so readiness catches up a moment later.
        string? status = null;
        await Poll.TryUntilAsync(async () =>
        {
            using var health = await factory.CreateClient().GetAsync("/health/ready");
            status = (await health.JsonAsync()).GetProperty("status").GetString();
            return status == "Healthy";
        }, TimeSpan.FromSeconds(5));

        Assert.Equal("Healthy", status);
    }

    private static Dictionary<string, string?> SendGridSettings(SendGridStandIn sendGrid) => SendGridDeliveryTests.SendGridSettings(sendGrid);
}
