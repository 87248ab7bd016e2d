using System.Diagnostics;
using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Import;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AuthCluster.Tests.Domain;

/// <summary>The hasher port on stored hashes of every form: its own, imported ones, none, damaged ones.</summary>
public sealed class PasswordUpgradeTests
{
    private const string PhpBcrypt = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";

    [Fact]
    public async Task Verify_ImportedHash_ValidOnlyForRightPasswordAndDueForRehash()
    {
        using var hasher = Hasher(4);
        var stored = Stored(PhpBcrypt);

        var right = await hasher.VerifyAsync("rasmuslerdorf", stored);
        var wrong = await hasher.VerifyAsync("rasmuslerdorF", stored);

        Assert.Equal(new PasswordCheck(true, NeedsRehash: true), right);
        Assert.False(wrong.Valid);
    }

    [Fact]
    public async Task Verify_NoPassword_InvalidWithoutThrowing()
    {
        using var hasher = Hasher(4);

        var check = await hasher.VerifyAsync("anything", "");

        Assert.Equal(new PasswordCheck(false, false), check);
    }

    [Theory]
    [InlineData("imported:bcrypt:not-a-hash")]
    [InlineData("imported:argon2id:$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a")]
    [InlineData("$2a$11$tooshort")]
    public async Task Verify_DamagedStoredHash_InvalidAndUnreadable(string stored)
    {
        using var hasher = Hasher(4);

        var check = await hasher.VerifyAsync("anything", stored);

        Assert.False(check.Valid);
        Assert.True(check.Unreadable);
    }

    [Fact]
    public async Task Verify_CheapImportedFormat_TakesAtLeastAsLongAsABcryptVerification()
    {
        // Identity v2 costs about a millisecond: unpadded, an imported customer would answer faster than an unknown email.
        using var hasher = Hasher(10);
        var v2 = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }))
            .HashPassword(new object(), "violet-staple-orbit-42");
        Assert.True(ImportedPasswordHash.TryParse(v2, out var imported, out _));
        await hasher.VerifyDummyAsync("warm-up");
        var direct = Stopwatch.StartNew();
        imported.Verify("violet-staple-orbit-42");
        direct.Stop();
        var dummy = Stopwatch.StartNew();
        await hasher.VerifyDummyAsync("violet-staple-orbit-42");
        dummy.Stop();

        var padded = Stopwatch.StartNew();
        var check = await hasher.VerifyAsync("violet-staple-orbit-42", imported.ToStored());
        padded.Stop();

        Assert.True(check.Valid);
        Assert.True(direct.Elapsed * 5 < dummy.Elapsed, $"Identity v2 ({direct.Elapsed}) is not much cheaper than bcrypt ({dummy.Elapsed}) here.");
        // The wait tracks a moving average of bcrypt's duration; half of one measurement leaves room for a busy machine.
        Assert.True(padded.Elapsed >= dummy.Elapsed / 2, $"Imported verification took {padded.Elapsed}, a bcrypt verification {dummy.Elapsed}.");
    }

    [Fact]
    public async Task Rehash_AfterImportedLogin_IsOwnHashThatVerifiesWithoutUpgrade()
    {
        using var hasher = Hasher(4);
        Assert.True((await hasher.VerifyAsync("rasmuslerdorf", Stored(PhpBcrypt))).NeedsRehash);

        var own = await hasher.HashAsync("rasmuslerdorf");

        Assert.False(ImportedPasswordHash.IsStored(own));
        Assert.Equal(new PasswordCheck(true, false), await hasher.VerifyAsync("rasmuslerdorf", own));
    }

    [Fact]
    public async Task OwnHash_ExportedAndReadBack_IsTheStoredHash()
    {
        using var hasher = Hasher(4);
        var own = await hasher.HashAsync("violet-staple-orbit-42");

        Assert.True(OwnPasswordHash.TryFromExported(OwnPasswordHash.ToExported(own), out var stored, out _));
        Assert.Equal(own, stored);
        Assert.False(OwnPasswordHash.TryFromExported("authcluster-bcrypt-sha384:$2a$31$" + own[7..], out _, out var reason));
        Assert.Contains("cost", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ImportedCustomerId_SameKeySameId_Version8()
    {
        var id = ImportedCustomerId.For("1:ann@example.com");

        Assert.Equal(id, ImportedCustomerId.For("1:ann@example.com"));
        Assert.NotEqual(id, ImportedCustomerId.For("2:ann@example.com"));
        Assert.Equal(8, id.Version);
        Assert.Equal(0x8, id.Variant & 0xC);
    }

    private static string Stored(string value)
    {
        Assert.True(ImportedPasswordHash.TryParse(value, out var hash, out _));
        return hash.ToStored();
    }

    private static BcryptPasswordHasher Hasher(int cost) =>
        new(Options.Create(new AuthOptions { Passwords = new AuthCluster.Grains.Interfaces.PasswordOptions { BcryptCost = cost } }));
}
