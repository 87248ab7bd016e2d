using System.Net;
using AuthCluster.Api.Clients;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Admin;

/// <summary>
/// API clients follow their configuration source without a restart: here a key-per-file directory, as a mounted
/// Kubernetes Secret is, watched by the running node.
/// </summary>
public sealed class ClientReloadTests : IDisposable
{
    private const string SecretC = "shop-c-secret-0123456789-abcdefghij";
    private const string SecretD = "shop-d-secret-0123456789-abcdefghij";
    private const string TooShort = "tiny-s3cret";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authcluster-clients-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task ClientsDirectory_ClientReplaced_NewClientWorksAndRemovedOneIs401WithoutRestart()
    {
        // Arrange: shop-c comes from the directory, beside the two clients of the factory's settings.
        WriteClient("shop-c", SecretC);
        await using var node = Node();
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(node, "shop-c", SecretC));

        // Act: the Secret is updated, shop-c replaced by shop-d.
        WriteClient("shop-d", SecretD);

        // Assert
        await Poll.UntilAsync(async () => await RegisterAsync(node, "shop-d", SecretD) == HttpStatusCode.Created, "shop-d to be accepted");
        Assert.Equal(HttpStatusCode.Unauthorized, await RegisterAsync(node, "shop-c", SecretC));
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(node, AuthApiFactory.ClientA, AuthApiFactory.SecretA));

        // The event is written once the new set is in place, which the requests above may see first.
        await Poll.UntilAsync(() => Task.FromResult(Events(node, 1010).Count > 0), "the reload event");
        var reloaded = Assert.Single(Events(node, 1010));
        Assert.Contains("added shop-d, removed shop-c", reloaded.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretD, reloaded.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientsDirectory_InvalidChange_KeepsTheCurrentClientsAndLogsASecurityEvent()
    {
        // Arrange
        WriteClient("shop-c", SecretC);
        await using var node = Node();
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(node, "shop-c", SecretC));

        // Act: a new client without shops and with a secret too short for production is not a valid set.
        WriteClient("shop-d", TooShort, shopId: null);

        // Assert
        await Poll.UntilAsync(() => Task.FromResult(Events(node, 1011).Count > 0), "the change to be refused");
        var refused = Events(node, 1011)[0];
        Assert.Contains("shop-d", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ShopIds", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TooShort, refused.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(node, "shop-c", SecretC));
        Assert.Equal(HttpStatusCode.Unauthorized, await RegisterAsync(node, "shop-d", TooShort));
        Assert.Empty(Events(node, 1010));
    }

    private AuthApiFactory Node()
    {
        var node = new AuthApiFactory(new Dictionary<string, string?>
        {
            [KeyPerFileConfiguration.DirectoryKey] = _directory,
        });
        _ = node.Server;
        return node;
    }

    /// <summary>Replaces the directory's client (index 2) as a Secret update does: every file of the new set at once.</summary>
    private void WriteClient(string clientId, string secret, long? shopId = AuthApiFactory.ShopA)
    {
        var staging = _directory + ".new";
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "Auth__Clients__2__ClientId"), clientId);
        File.WriteAllText(Path.Combine(staging, "Auth__Clients__2__Secret"), secret);
        if (shopId is { } shop)
        {
            File.WriteAllText(Path.Combine(staging, "Auth__Clients__2__ShopIds__0"), shop.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Directory.CreateDirectory(_directory);
        foreach (var stale in Directory.GetFiles(_directory).Where(f => !File.Exists(Path.Combine(staging, Path.GetFileName(f)))))
        {
            File.Delete(stale);
        }

        foreach (var file in Directory.GetFiles(staging))
        {
            File.Move(file, Path.Combine(_directory, Path.GetFileName(file)), overwrite: true);
        }

        Directory.Delete(staging);
    }

    private static async Task<HttpStatusCode> RegisterAsync(AuthApiFactory node, string clientId, string secret)
    {
        using var response = await node.ClientFor(clientId, secret).RegisterAsync(TestApi.UniqueEmail());
        return response.StatusCode;
    }

    private static List<Microsoft.Extensions.Logging.Testing.FakeLogRecord> Events(AuthApiFactory node, int eventId) =>
        [.. node.Logs.GetSnapshot().Where(r => r.Category == SecurityEvents.Category && r.Id.Id == eventId)];
}
