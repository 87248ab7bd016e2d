using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Signing;

namespace AuthCluster.Tests.Admin;

/// <summary><see cref="SigningKeyRing.Rotate"/>, the rule behind <c>keys rotate</c> and revoking the current key.</summary>
public sealed class KeyRingRotationTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly AuthOptions Options = new();
    private static readonly TimeSpan TokenTail = Options.Tokens.AccessTokenLifetime + Options.Tokens.ClockSkew;

    [Fact]
    public void Rotate_WithoutSuccessor_EndsTheCurrentKeyNowAndCreatesOneThatSignsNow()
    {
        // Arrange
        var current = Key("current", Now.AddDays(-1), Now.AddDays(29));

        // Act
        var ring = SigningKeyRing.Rotate([current], Now, Options, Create);

        // Assert
        var ended = ring.Single(k => k.KeyId == "current");
        Assert.Equal(Now, ended.SignsUntil);
        Assert.Equal(Now + TokenTail, ended.RetiresAt);
        var created = ring.Single(k => k.KeyId == "new");
        Assert.Equal(Now, created.SignsFrom);
        Assert.Equal(Now + Options.Signing.RotationInterval, created.SignsUntil);
        Assert.Same(created, SigningKeyRing.SignerAt(ring, Now));
    }

    [Fact]
    public void Rotate_WithPublishedSuccessor_PromotesItInsteadOfCreatingAKey()
    {
        // Arrange
        var current = Key("current", Now.AddDays(-30), Now.AddMinutes(30));
        var successor = Key("successor", Now.AddMinutes(30), Now.AddDays(30).AddMinutes(30));

        // Act
        var ring = SigningKeyRing.Rotate([current, successor], Now, Options, (_, _, _, _) => throw new InvalidOperationException("No key should be created."));

        // Assert
        Assert.Equal(2, ring.Count);
        Assert.Equal("successor", SigningKeyRing.SignerAt(ring, Now)?.KeyId);
        Assert.Equal(Now + Options.Signing.RotationInterval + TokenTail, ring.Single(k => k.KeyId == "successor").RetiresAt);
    }

    [Fact]
    public void Rotate_RingWithoutSigner_AsAfterRevokingTheCurrentKey_MakesOneSignNow()
    {
        // Arrange: the retired key no longer signs; nothing else is left.
        var retired = Key("retired", Now.AddDays(-30), Now.AddMinutes(-1), retiresAt: Now.AddMinutes(14));

        // Act
        var ring = SigningKeyRing.Rotate([retired], Now, Options, Create);

        // Assert
        Assert.Equal("new", SigningKeyRing.SignerAt(ring, Now)?.KeyId);
        Assert.Equal(retired, ring.Single(k => k.KeyId == "retired"));
    }

    private static SigningKeyRecord Create(string algorithm, DateTimeOffset publishedAt, DateTimeOffset signsFrom, DateTimeOffset signsUntil) =>
        new("new", algorithm, [], publishedAt, signsFrom, signsUntil, signsUntil + TokenTail);

    private static SigningKeyRecord Key(string id, DateTimeOffset signsFrom, DateTimeOffset signsUntil, DateTimeOffset? retiresAt = null) =>
        new(id, "ES256", [], signsFrom, signsFrom, signsUntil, retiresAt ?? signsUntil + TokenTail);
}
