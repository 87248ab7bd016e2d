using System.Net;
using System.Security.Cryptography;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Silo.Cli;
using AuthCluster.Tests.Import;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Admin;

/// <summary><c>kek rotate</c> against a running node, and the KEK configuration it relies on.</summary>
public sealed class KeyEncryptionAdminTests
{
    private static readonly string NextKek = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task KekRotate_ThenOldKekRemovedFromConfiguration_RestartedNodeStillSignsAndValidates()
    {
        // Arrange: a ring made under the single KEK of Auth:Signing:KeyEncryptionKey, kept in a SQLite file.
        var store = Store();
        TokenResponseDto old;
        await using (var first = new AuthApiFactory(store))
        {
            old = await first.ClientFor().RegisteredAsync();
        }

        // Act 1: the new KEK is added and made current; the old one is still configured (the implicit "default").
        CliRun rotation;
        IEnumerable<string?> kekIds;
        await using (var second = new AuthApiFactory(With(store, ("Auth:Signing:Keks:next", NextKek), ("Auth:Signing:CurrentKek", "next"))))
        {
            Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(second, old.AccessToken));
            rotation = await KeyAdmin.RunAsync(second, "kek", "rotate", "--json", "--Auth:Signing:CurrentKek=next");
            kekIds = (await KeyAdmin.RunAsync(second, "keys", "list", "--json")).OutJson.GetProperty("keys").EnumerateArray()
                .Select(k => k.GetProperty("kek_id").GetString()).ToList();
            var record = Assert.Single(KeyAdmin.SecurityEvents(second, 2452));
            Assert.Contains(AdminCluster.Actor, record.Message, StringComparison.Ordinal);
        }

        // Act 2: the old KEK is gone from configuration.
        await using var third = new AuthApiFactory(With(store, ("Auth:Signing:KeyEncryptionKey", null), ("Auth:Signing:Keks:next", NextKek)));
        var validateOld = await KeyAdmin.ValidateAsync(third, old.AccessToken);
        var fresh = await third.ClientFor().RegisteredAsync();

        // Assert
        Assert.Equal(ExitCodes.Ok, rotation.ExitCode);
        Assert.Equal("done", rotation.OutJson.GetProperty("outcome").GetString());
        Assert.Equal("next", rotation.OutJson.GetProperty("current_kek_id").GetString());
        Assert.True(rotation.OutJson.GetProperty("reencrypted").GetInt32() >= 1);
        Assert.Equal([KeyEncryption.ImplicitKekId], rotation.OutJson.GetProperty("previous_kek_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.All(kekIds, id => Assert.Equal("next", id));
        Assert.Equal(HttpStatusCode.OK, validateOld);
        Assert.Equal(KeyAdminTests.KidOf(old.AccessToken), KeyAdminTests.KidOf(fresh.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await KeyAdmin.ValidateAsync(third, fresh.AccessToken));
    }

    [Fact]
    public async Task KekRotate_AgainOrExpectingAnotherKek_ChangesNothing()
    {
        // Arrange
        await using var node = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Auth:Signing:Keks:next"] = NextKek,
            ["Auth:Signing:CurrentKek"] = "next",
        });
        await node.ClientFor().RegisteredAsync();

        // Act: the configuration this command reads says "default" is current, the node's says "next".
        var mismatch = await KeyAdmin.RunAsync(node, "kek", "rotate", "--kek", KeyEncryption.ImplicitKekId);
        var again = await KeyAdmin.RunAsync(node, "kek", "rotate", "--kek", "next");

        // Assert
        Assert.Equal(ExitCodes.Failed, mismatch.ExitCode);
        Assert.Contains("Refused: the silo holding the ring encrypts under KEK next", mismatch.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, again.ExitCode);
        Assert.Contains("Every key is already under KEK next", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void FromOptions_LegacyAndIdentifiedKeks_ReadsCiphertextOfEitherAndEncryptsUnderTheCurrentOne()
    {
        // Arrange
        var legacy = KeyEncryption.FromBase64(AuthApiFactory.TestKek);
        var written = legacy.Encrypt([1, 2, 3], "kid");
        var both = KeyEncryption.FromOptions(new SigningOptions
        {
            KeyEncryptionKey = AuthApiFactory.TestKek,
            Keks = { ["next"] = NextKek },
            CurrentKek = "next",
        })!;

        // Act
        var read = both.Decrypt(written, "kid", null, out var under);
        var rewritten = both.Encrypt([1, 2, 3], "kid");

        // Assert
        Assert.Equal([1, 2, 3], read);
        Assert.Equal(KeyEncryption.ImplicitKekId, under);
        Assert.Equal("next", both.CurrentKekId);
        Assert.Throws<AuthenticationTagMismatchException>(() => legacy.Decrypt(rewritten, "kid"));
        Assert.Throws<AuthenticationTagMismatchException>(() => both.Decrypt(written, "another kid"));
    }

    [Fact]
    public void FromOptions_SeveralKeksWithoutCurrent_RefusesWithoutEchoingAKey()
    {
        // Act
        var failure = Assert.Throws<InvalidOperationException>(() => KeyEncryption.FromOptions(new SigningOptions
        {
            Keks = { ["a"] = NextKek, ["b"] = AuthApiFactory.TestKek },
        }));

        // Assert
        Assert.Contains("Auth:Signing:CurrentKek", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(NextKek, failure.Message, StringComparison.Ordinal);
        Assert.Null(KeyEncryption.FromOptions(new SigningOptions()));
    }

    private static Dictionary<string, string?> Store() => new()
    {
        ["Storage:Provider"] = "Sqlite",
        ["Storage:ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), "authcluster-tests", Guid.NewGuid().ToString("N"), "auth.db")}",
    };

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings, params (string Key, string? Value)[] more)
    {
        var copy = new Dictionary<string, string?>(settings);
        foreach (var (key, value) in more)
        {
            copy[key] = value;
        }

        return copy;
    }
}
