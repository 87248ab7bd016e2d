using System.Buffers.Binary;
using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AuthCluster.Tests.Domain;

public sealed class ImportedPasswordHashTests
{
    // --- bcrypt -------------------------------------------------------------------------------------------

    [Theory]
    // PHP manual, password_verify() example.
    [InlineData("$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", "rasmuslerdorf")]
    // jBCrypt / OpenBSD test vector.
    [InlineData("$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "abc")]
    public void Verify_BcryptReferenceVector_AcceptsRightPasswordOnly(string value, string password) =>
        AssertVerifies(value, ImportedHashKind.Bcrypt, password);

    [Theory]
    [InlineData('a')]
    [InlineData('b')]
    [InlineData('y')]
    public void Verify_BcryptMadeByBCryptNet_AcceptsRightPasswordOnly(char variant)
    {
        var value = BCrypt.Net.BCrypt.HashPassword("ñandú-über-straße", BCrypt.Net.BCrypt.GenerateSalt(5, variant));

        Assert.StartsWith($"$2{variant}$05$", value, StringComparison.Ordinal);
        AssertVerifies(value, ImportedHashKind.Bcrypt, "ñandú-über-straße");
    }

    [Fact]
    public async Task Verify_AuthClusterOwnHash_DoesNotMatchRawPassword()
    {
        // Our own hashes are bcrypt over a SHA-384 pre-hash: read as another system's plain bcrypt they must not
        // verify, which is why the stored form marks imported hashes.
        using var hasher = new BcryptPasswordHasher(Options.Create(new AuthOptions { Passwords = { BcryptCost = 4 } }));
        var own = await hasher.HashAsync("violet-staple-orbit-42");

        Assert.True(ImportedPasswordHash.TryParse(own, out var hash, out _));
        Assert.False(hash.Verify("violet-staple-orbit-42"));
        Assert.False(ImportedPasswordHash.IsStored(own));
    }

    [Theory]
    [InlineData("$2b$03$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "cost 3")]
    [InlineData("$2b$15$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "cost 15")]
    [InlineData("$2b$31$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "cost 31")]
    [InlineData("$2x$10$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "variant")]
    [InlineData("$2b$10$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0", "well-formed")]
    [InlineData("$2b$10$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0!", "well-formed")]
    [InlineData("$2b$1a$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "well-formed")]
    public void TryParse_BadBcrypt_GivesReason(string value, string reasonMentions) => AssertRejected(value, reasonMentions);

    // --- ASP.NET Core Identity ----------------------------------------------------------------------------

    [Fact]
    public void Verify_IdentityV3MadeByPasswordHasher_AcceptsRightPasswordOnly()
    {
        var value = new PasswordHasher<object>().HashPassword(new object(), "violet-staple-orbit-42");

        var hash = AssertVerifies(value, ImportedHashKind.AspNetIdentity, "violet-staple-orbit-42");
        Assert.Equal(3, Assert.IsType<AspNetIdentityHash>(hash).FormatVersion);
    }

    [Fact]
    public void Verify_IdentityV3WithOtherIterationCount_AcceptsRightPasswordOnly()
    {
        var hasher = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { IterationCount = 12_345 }));
        var value = hasher.HashPassword(new object(), "violet-staple-orbit-42");

        AssertVerifies(value, ImportedHashKind.AspNetIdentity, "violet-staple-orbit-42");
    }

    [Fact]
    public void Verify_IdentityV2MadeByPasswordHasher_AcceptsRightPasswordOnly()
    {
        var hasher = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2,
        }));
        var value = hasher.HashPassword(new object(), "violet-staple-orbit-42");

        var hash = AssertVerifies(value, ImportedHashKind.AspNetIdentity, "violet-staple-orbit-42");
        Assert.Equal(2, Assert.IsType<AspNetIdentityHash>(hash).FormatVersion);
    }

    [Theory]
    // ASP.NET Core's PasswordHasherTest (sequential salt 00..0f): v3 with HMAC-SHA256 × 10,000, the default
    // before .NET 7, and v2.
    [InlineData("AQAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==")]
    [InlineData("AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==")]
    public void Verify_IdentityReferenceVector_AcceptsRightPasswordOnly(string value) =>
        AssertVerifies(value, ImportedHashKind.AspNetIdentity, "my password");

    [Fact]
    public void TryParse_IdentityV3WithAbsurdIterationCount_GivesReason()
    {
        // Hashing with 50,000,000 iterations would take the test a minute: take a real v3 hash and change its header.
        var bytes = Convert.FromBase64String(new PasswordHasher<object>().HashPassword(new object(), "violet-staple-orbit-42"));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(5), 50_000_000);

        AssertRejected(Convert.ToBase64String(bytes), "50000000");
    }

    [Theory]
    // The SHA-512 × 50 vector of ASP.NET Core's test suite: Identity accepts it, an import does not.
    [InlineData("AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw", "minimum")]
    // v2 one byte short.
    [InlineData("AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1u", "length")]
    // v3 header only.
    [InlineData("AQAAAAEAACcQAAAAEA==", "short")]
    // v3 with PRF 3.
    [InlineData("AQAAAAMAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==", "PRF")]
    // v3 claiming a 4 GiB salt.
    [InlineData("AQAAAAEAACcQ/////wABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==", "salt")]
    // Unknown marker byte.
    [InlineData("AgAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==", "marker")]
    public void TryParse_BadIdentityHash_GivesReason(string value, string reasonMentions) => AssertRejected(value, reasonMentions);

    // --- Django PBKDF2 ------------------------------------------------------------------------------------

    [Theory]
    // Django 3.2's test suite (auth_tests.test_hashers.test_pbkdf2).
    [InlineData("pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "lètmein")]
    // Computed with Python: base64.b64encode(hashlib.pbkdf2_hmac('sha512', password.encode(), salt.encode(), 120000)).
    [InlineData("pbkdf2_sha512$120000$Zk3xq9RrT1vB6nYw2aPc0d$E/0rKX/FyNtvthxVxZLhFK9iil0tV7Vrbi2ZJ45PZSmkHmZGSFnpRh+Y4+Vz6MIiKjbODoUhtLwyen8q8xg4fw==", "correct horse battery staple")]
    // The same with 'sha1' and 100000 iterations (Django's PBKDF2SHA1PasswordHasher).
    [InlineData("pbkdf2_sha1$100000$seasalt2$dK/dL+ySBZ5zoR0+Zk3SB/VsH0U=", "lètmein")]
    public void Verify_DjangoPbkdf2Vector_AcceptsRightPasswordOnly(string value, string password) =>
        AssertVerifies(value, ImportedHashKind.DjangoPbkdf2, password);

    [Theory]
    [InlineData("pbkdf2_sha384$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "algorithm")]
    [InlineData("pbkdf2_sha256$-1$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "number")]
    [InlineData("pbkdf2_sha256$999$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "minimum")]
    [InlineData("pbkdf2_sha256$2000000000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "work")]
    [InlineData("pbkdf2_sha256$99999999999999999999999$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "number")]
    [InlineData("pbkdf2_sha256$260000$$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "salt")]
    [InlineData("pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tc", "32 bytes")]
    [InlineData("pbkdf2_sha512$120000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "64 bytes")]
    [InlineData("pbkdf2_sha256$260000$seasalt", "algorithm$iterations$salt$hash")]
    public void TryParse_BadDjangoHash_GivesReason(string value, string reasonMentions) => AssertRejected(value, reasonMentions);

    // --- argon2id -----------------------------------------------------------------------------------------

    [Theory]
    // Made with the reference implementation's CLI (Debian package argon2):
    // echo -n 'lètmein-argon' | argon2 saltysalt16bytes -id -t 2 -m 12 -p 1 -e
    [InlineData("$argon2id$v=19$m=4096,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "lètmein-argon")]
    // echo -n 'correct horse battery staple' | argon2 another-salt-value -id -t 3 -m 13 -p 4 -e
    [InlineData("$argon2id$v=19$m=8192,t=3,p=4$YW5vdGhlci1zYWx0LXZhbHVl$+eX9kwdwsFZ8ok2q4X4OYGv4LyajXBAYIiZ6w7Ap7Ew", "correct horse battery staple")]
    // ... with -l 48 (a longer tag)
    [InlineData("$argon2id$v=19$m=8192,t=3,p=4$YW5vdGhlci1zYWx0LXZhbHVl$2FPK9xLtSIm0euelA5cJRhgL0xHO7Yi0eMD0JKYIU5vOuS9CaLymklkCsv4JevR4", "correct horse battery staple")]
    public void Verify_Argon2idReferenceVector_AcceptsRightPasswordOnly(string value, string password) =>
        AssertVerifies(value, ImportedHashKind.Argon2id, password);

    [Theory]
    [InlineData("$argon2i$v=19$m=4096,t=2,p=1$c29tZXNhbHRzYWx0$sTZuWxYedyD3BQKM1GE1ErpZtKVrq1rQ/+NkQG3bYpU", "argon2id")]
    [InlineData("$argon2d$v=19$m=4096,t=2,p=1$c29tZXNhbHRzYWx0$sTZuWxYedyD3BQKM1GE1ErpZtKVrq1rQ/+NkQG3bYpU", "argon2id")]
    [InlineData("$argon2id$v=16$m=4096,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "version 19")]
    [InlineData("$argon2id$m=4096,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "version 19")]
    [InlineData("$argon2id$v=19$t=2,m=4096,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "order")]
    [InlineData("$argon2id$v=19$m=4096,t=2,p=1,keyid=abc$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "order")]
    [InlineData("$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "memory")]
    [InlineData("$argon2id$v=19$m=7,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "memory")]
    [InlineData("$argon2id$v=19$m=4096,t=1000,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "pass count")]
    [InlineData("$argon2id$v=19$m=4096,t=0,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "pass count")]
    [InlineData("$argon2id$v=19$m=4096,t=2,p=0$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "parallelism")]
    [InlineData("$argon2id$v=19$m=4096,t=2,p=255$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "parallelism")]
    [InlineData("$argon2id$v=19$m=262144,t=16,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "work")]
    [InlineData("$argon2id$v=19$m=4096,t=2,p=1$c2FsdA$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "salt")]
    [InlineData("$argon2id$v=19$m=4096,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw==$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "salt")]
    [InlineData("$argon2id$v=19$m=4096,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52Q", "hash")]
    public void TryParse_BadArgon2Hash_GivesReason(string value, string reasonMentions) => AssertRejected(value, reasonMentions);

    // --- anything else ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("", "empty")]
    [InlineData("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "accepted formats")] // md5crypt
    [InlineData("$6$rounds=5000$saltsalt$abc", "accepted formats")] // sha512crypt
    [InlineData("5f4dcc3b5aa765d61d8327deb882cf99", "Identity")] // bare MD5 hex (valid base64, no known marker)
    [InlineData("not a hash", "printable ASCII")]
    [InlineData("pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=\n", "printable ASCII")]
    [InlineData("plain-text-password!", "accepted formats")]
    public void TryParse_UnknownOrMalformed_GivesReason(string value, string reasonMentions) => AssertRejected(value, reasonMentions);

    [Fact]
    public void TryParse_OverlongValue_GivesReason() =>
        AssertRejected("pbkdf2_sha256$260000$" + new string('a', 600) + "$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "at most");

    [Theory]
    // Parameters current libraries write by default must be accepted (parsing only; nothing is hashed here).
    [InlineData("$argon2id$v=19$m=65536,t=4,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q")] // PHP
    [InlineData("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q")] // argon2-cffi, node-argon2
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q")] // OWASP, RustCrypto
    [InlineData("pbkdf2_sha256$1200000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=")] // Django 6.0
    [InlineData("$2b$13$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i")]
    public void TryParse_CommonLibraryDefaults_Accepted(string value) =>
        Assert.True(ImportedPasswordHash.TryParse(value, out _, out var reason), reason);

    // --- stored form --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", "imported:bcrypt:", "rasmuslerdorf")]
    [InlineData("AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==", "imported:aspnet-identity:", "my password")]
    [InlineData("pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "imported:django-pbkdf2:", "lètmein")]
    [InlineData("$argon2id$v=19$m=4096,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q", "imported:argon2id:", "lètmein-argon")]
    public void ToStored_RoundTripsThroughTryFromStored(string value, string prefix, string password)
    {
        Assert.True(ImportedPasswordHash.TryParse(value, out var hash, out _));

        var stored = hash.ToStored();

        Assert.Equal(prefix + value, stored);
        Assert.True(ImportedPasswordHash.IsStored(stored));
        Assert.True(ImportedPasswordHash.TryFromStored(stored, out var again));
        Assert.Equal(hash.Kind, again.Kind);
        Assert.Equal(value, again.Value);
        Assert.True(again.Verify(password));
    }

    [Theory]
    [InlineData("$2a$11$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i")] // an own hash
    [InlineData("imported:argon2id:$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a")] // wrong kind
    [InlineData("imported:bcrypt")]
    [InlineData("imported:bcrypt:$2b$99$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i")] // no longer acceptable
    public void TryFromStored_NotAnAcceptableImportedHash_ReturnsFalse(string stored) =>
        Assert.False(ImportedPasswordHash.TryFromStored(stored, out _));

    [Fact]
    public void ToString_NeverShowsTheHash()
    {
        Assert.True(ImportedPasswordHash.TryParse("pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", out var hash, out _));

        Assert.Equal("DjangoPbkdf2", hash.ToString());
    }

    [Theory]
    [InlineData("$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a")]
    [InlineData("AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==")]
    [InlineData("pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=")]
    [InlineData("$argon2id$v=19$m=4096,t=2,p=1$c2FsdHlzYWx0MTZieXRlcw$wyb8TboTQqZ52QZ391eGpJlNc2kcoiFWweuJnX5Uz4Q")]
    public void Verify_PasswordWithUnpairedSurrogate_ReturnsFalseWithoutThrowing(string value)
    {
        Assert.True(ImportedPasswordHash.TryParse(value, out var hash, out _));

        Assert.False(hash.Verify("pass\ud800word"));
    }

    private static ImportedPasswordHash AssertVerifies(string value, ImportedHashKind kind, string password)
    {
        Assert.True(ImportedPasswordHash.TryParse(value, out var hash, out var reason), reason);
        Assert.Equal(kind, hash.Kind);
        Assert.Equal(value, hash.Value);
        Assert.True(hash.Verify(password));
        Assert.False(hash.Verify(password + "x"));
        Assert.False(hash.Verify(password.ToUpperInvariant()));
        Assert.False(hash.Verify(""));
        return hash;
    }

    private static void AssertRejected(string value, string reasonMentions)
    {
        Assert.False(ImportedPasswordHash.TryParse(value, out var hash, out var reason));
        Assert.Null(hash);
        Assert.Contains(reasonMentions, reason, StringComparison.OrdinalIgnoreCase);
        if (value.Length > 8)
        {
            // A reason may end up in a report or a log: it never repeats the value.
            Assert.DoesNotContain(value[^8..], reason, StringComparison.Ordinal);
        }
    }
}
