using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Signing;
using Microsoft.Extensions.Options;

namespace AuthCluster.Tests.Domain;

public sealed class PasswordPolicyTests
{
    [Theory]
    [InlineData("violet-staple-orbit-42")]
    [InlineData("ñandú-über-straße")]
    [InlineData("        ")] // any characters, no composition rules
    public void Check_AcceptablePassword_ReturnsNull(string password) => Assert.Null(PasswordPolicy.Check(password));

    [Theory]
    [InlineData("short")]
    [InlineData("password")]
    [InlineData("PASSWORD1")]
    [InlineData("baseball")]
    public void Check_ShortOrCommonPassword_ReturnsReason(string password) => Assert.NotNull(PasswordPolicy.Check(password));

    [Fact]
    public void Check_CountsCodePointsNotUtf16Units()
    {
        Assert.Null(PasswordPolicy.Check(string.Concat(Enumerable.Repeat("😀", 8))));
        Assert.NotNull(PasswordPolicy.Check(string.Concat(Enumerable.Repeat("😀", 7))));
        Assert.Null(PasswordPolicy.Check(string.Concat(Enumerable.Repeat("😀", 128))));
        Assert.NotNull(PasswordPolicy.Check(string.Concat(Enumerable.Repeat("😀", 129))));
    }

    [Fact]
    public void ContextWords_NamesAndLocalPart_WholeAndSplitFromFourCharacters()
    {
        var words = PasswordPolicy.ContextWords(" Jo.Li+Shop@Example.com", "Mary-Jane", "van der Berg");

        Assert.Equal(
            new[] { "berg", "jane", "jo.li+shop", "mary", "mary-jane", "shop", "van der berg" },
            words.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void CheckContext_IgnoresCaseAndCompatibilityForms()
    {
        var words = PasswordPolicy.ContextWords("kate@example.com", "Kate", "Smith");

        Assert.NotNull(PasswordPolicy.CheckContext("my-KATE-password", words));
        Assert.NotNull(PasswordPolicy.CheckContext(PasswordText.Normalize("ｓｍｉｔｈ-and-more"), words));
        Assert.Null(PasswordPolicy.CheckContext("violet-staple-orbit-42", words));
    }
}

public sealed class PasswordTextTests
{
    [Fact]
    public void Normalize_ComposedDecomposedAndCompatibilityForms_AreOnePassword()
    {
        Assert.Equal("crème", PasswordText.Normalize("cre\u0300me"));
        Assert.Equal("fire", PasswordText.Normalize("\uFB01re"));
        Assert.Equal("ab", PasswordText.Normalize("ａｂ"));
    }

    [Fact]
    public void LoginCandidates_TypedFormOnlyWhenItDiffers()
    {
        Assert.Equal(["plain-ascii-pass"], PasswordText.LoginCandidates("plain-ascii-pass"));
        Assert.Equal(["crème", "cre\u0300me"], PasswordText.LoginCandidates("cre\u0300me"));
    }

    [Fact]
    public void Normalize_IllFormedText_IsReturnedUnchanged() =>
        Assert.Equal("a\uD800b", PasswordText.Normalize("a\uD800b"));
}

public sealed class PasswordHasherTests
{
    [Fact]
    public async Task Verify_CostChanged_ReportsNeedsRehash()
    {
        using var cheap = Hasher(4);
        using var dearer = Hasher(5);
        var hash = await cheap.HashAsync("violet-staple-orbit-42");

        var same = await cheap.VerifyAsync("violet-staple-orbit-42", hash);
        var changed = await dearer.VerifyAsync("violet-staple-orbit-42", hash);
        var wrong = await cheap.VerifyAsync("violet-staple-orbit-43", hash);

        Assert.Equal(new PasswordCheck(true, false), same);
        Assert.Equal(new PasswordCheck(true, true), changed);
        Assert.False(wrong.Valid);
    }

    [Fact]
    public async Task Hash_LongPasswordsDifferingAfter72Bytes_DoNotCollide()
    {
        using var hasher = Hasher(4);
        var prefix = new string('a', 100);
        var hash = await hasher.HashAsync(prefix + "1");

        Assert.False((await hasher.VerifyAsync(prefix + "2", hash)).Valid);
        Assert.True((await hasher.VerifyAsync(prefix + "1", hash)).Valid);
    }

    private static BcryptPasswordHasher Hasher(int cost) =>
        new(Options.Create(new AuthOptions { Passwords = new PasswordOptions { BcryptCost = cost } }));
}

public sealed class RefreshTokenFormatTests
{
    [Fact]
    public void Format_ThenParse_RoundTripsSessionAndSecret()
    {
        var sessionId = Guid.NewGuid();
        var secret = RefreshTokens.NewSecret();

        var token = RefreshTokenFormat.Format(sessionId, secret);

        Assert.True(RefreshTokenFormat.TryParse(token, out var parsedId, out var parsedSecret));
        Assert.Equal(sessionId, parsedId);
        Assert.Equal(secret, parsedSecret);
        Assert.Equal(64, token.Length);
        Assert.DoesNotContain('=', token);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    public void TryParse_Malformed_ReturnsFalse(string? token) => Assert.False(RefreshTokenFormat.TryParse(token, out _, out _));

    [Fact]
    public void Successor_IsDeterministicPerKeyAndSecret()
    {
        var key = RefreshTokens.NewSecret();
        var secret = RefreshTokens.NewSecret();

        Assert.Equal(RefreshTokens.Successor(key, secret), RefreshTokens.Successor(key, secret));
        Assert.NotEqual(RefreshTokens.Successor(key, secret), RefreshTokens.Successor(RefreshTokens.NewSecret(), secret));
        Assert.True(RefreshTokens.Matches(secret, RefreshTokens.Digest(secret)));
        Assert.False(RefreshTokens.Matches(secret, null));
    }
}

public sealed class LoginThrottleTests
{
    private static readonly ThrottlingOptions Options = new() { FreeFailures = 5, BaseDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromMinutes(15) };

    [Theory]
    [InlineData(0, 0)]
    [InlineData(4, 0)]
    [InlineData(5, 2)]
    [InlineData(6, 4)]
    [InlineData(13, 512)]
    [InlineData(14, 900)]
    [InlineData(1000, 900)]
    public void DelayAfter_Failures_DoublesUpToMax(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), LoginThrottle.DelayAfter(failures, Options));

    [Fact]
    public void RetryAfter_CountsDownFromLastFailure()
    {
        var last = DateTimeOffset.UnixEpoch;

        Assert.Equal(TimeSpan.FromSeconds(3), LoginThrottle.RetryAfter(6, last, last.AddSeconds(1), Options));
        Assert.Equal(TimeSpan.Zero, LoginThrottle.RetryAfter(6, last, last.AddSeconds(4), Options));
        Assert.Equal(TimeSpan.Zero, LoginThrottle.RetryAfter(6, null, last, Options));
    }
}

public sealed class EmailAddressTests
{
    [Fact]
    public void IndexKey_TrimsAndLowerCases() =>
        Assert.Equal("7:ada@example.com", EmailAddress.IndexKey(7, "  Ada@Example.COM "));

    [Theory]
    [InlineData("Ada.Lovelace+shop@Example.COM", "ada.lovelace+shop@example.com")]
    [InlineData("o'brien@xn--bcher-kva.example", "o'brien@xn--bcher-kva.example")]
    [InlineData("ｋａｔｅ@Bücher.Example", "kate@xn--bcher-kva.example")]
    [InlineData("ÉMILIE@example.com", "émilie@example.com")]
    public void Normalize_AcceptableAddress_GivesCanonicalForm(string email, string canonical) =>
        Assert.Equal(canonical, EmailAddress.Normalize(email));

    [Fact]
    public void Normalize_UnacceptableAddress_Throws() =>
        Assert.Throws<ArgumentException>(() => EmailAddress.Normalize("ka\u00ADte@example.com"));

    [Fact]
    public void StoredIndexKey_AddressStoredBeforeTheRules_KeepsItsOldKey()
    {
        Assert.Equal("7:ka\u00ADte@example.com.", EmailAddress.StoredIndexKey(7, " Ka\u00ADte@Example.com. "));
        Assert.Equal("7:kate@xn--bcher-kva.example", EmailAddress.StoredIndexKey(7, "kate@bücher.example"));
    }

    [Fact]
    public void ShopIdOf_ReadsShopFromKey() => Assert.Equal(7, EmailAddress.ShopIdOf("7:a:b@example.com"));
}

public sealed class SigningKeyRingTests
{
    private static readonly AuthOptions Options = new()
    {
        Signing = new SigningOptions { RotationInterval = TimeSpan.FromDays(10), PublishLead = TimeSpan.FromDays(1) },
        Tokens = new TokenOptions { AccessTokenLifetime = TimeSpan.FromMinutes(15), ClockSkew = TimeSpan.FromSeconds(5) },
    };

    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch;

    [Fact]
    public void Advance_EmptyRing_CreatesKeySigningNow()
    {
        var ring = SigningKeyRing.Advance([], Start, Options, Create);

        var key = Assert.Single(ring);
        Assert.Equal(Start, key.SignsFrom);
        Assert.Equal(Start.AddDays(10), key.SignsUntil);
        Assert.Equal(Start.AddDays(10).AddMinutes(15).AddSeconds(5), key.RetiresAt);
    }

    [Fact]
    public void Advance_WithinPublishLead_PublishesSuccessorThatSignsLater()
    {
        var ring = SigningKeyRing.Advance([], Start, Options, Create);

        ring = SigningKeyRing.Advance(ring, Start.AddDays(9.5), Options, Create);

        Assert.Equal(2, ring.Count);
        Assert.Equal(ring[0].SignsUntil, ring[1].SignsFrom);
        Assert.Equal(ring[0].KeyId, SigningKeyRing.SignerAt(ring, Start.AddDays(9.9))!.KeyId);
        Assert.Equal(ring[1].KeyId, SigningKeyRing.SignerAt(ring, Start.AddDays(10))!.KeyId);
    }

    [Fact]
    public void Advance_PastRetirement_DropsOldKey()
    {
        var ring = SigningKeyRing.Advance([], Start, Options, Create);
        ring = SigningKeyRing.Advance(ring, Start.AddDays(9.5), Options, Create);

        ring = SigningKeyRing.Advance(ring, Start.AddDays(10).AddMinutes(16), Options, Create);

        var key = Assert.Single(ring);
        Assert.Equal(Start.AddDays(10), key.SignsFrom);
    }

    [Fact]
    public void Advance_SameTime_IsStable()
    {
        var ring = SigningKeyRing.Advance([], Start, Options, Create);

        Assert.Equal(ring, SigningKeyRing.Advance(ring, Start.AddDays(1), Options, Create));
    }

    private static SigningKeyRecord Create(string algorithm, DateTimeOffset published, DateTimeOffset from, DateTimeOffset until) =>
        new(Guid.NewGuid().ToString("N"), algorithm, [], published, from, until, until + TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(5));
}
