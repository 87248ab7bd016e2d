using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AuthCluster.Grains.Passwords;

/// <summary>
/// Django's PBKDF2 hashers: <c>pbkdf2_sha256$iterations$salt$hash</c> (also <c>pbkdf2_sha512</c> and Django's
/// <c>pbkdf2_sha1</c>). The salt is used as its UTF-8 text, not decoded; the hash is standard base64 of a key as
/// long as the digest, as Django's <c>hashlib.pbkdf2_hmac</c> call derives it.
/// </summary>
internal sealed class DjangoPbkdf2Hash : ImportedPasswordHash
{
    private readonly HashAlgorithmName _prf;
    private readonly int _iterations;
    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private DjangoPbkdf2Hash(string value, HashAlgorithmName prf, int iterations, byte[] salt, byte[] hash) : base(value)
    {
        _prf = prf;
        _iterations = iterations;
        _salt = salt;
        _hash = hash;
    }

    public override ImportedHashKind Kind => ImportedHashKind.DjangoPbkdf2;

    public override bool Verify(string password) => Pbkdf2.Verify(password, _salt, _iterations, _prf, _hash);

    /// <summary>Why <paramref name="value"/> is not an accepted Django PBKDF2 hash, or null with <paramref name="hash"/> set.</summary>
    internal static string? Read(string value, out ImportedPasswordHash? hash)
    {
        hash = null;
        var parts = value.Split('$');
        if (parts.Length != 4)
        {
            return "Is not a Django PBKDF2 hash (algorithm$iterations$salt$hash).";
        }

        HashAlgorithmName? prf = parts[0] switch
        {
            "pbkdf2_sha256" => HashAlgorithmName.SHA256,
            "pbkdf2_sha512" => HashAlgorithmName.SHA512,
            "pbkdf2_sha1" => HashAlgorithmName.SHA1,
            _ => null,
        };
        if (prf is not { } knownPrf)
        {
            return "Django PBKDF2 algorithm must be pbkdf2_sha256, pbkdf2_sha512 or pbkdf2_sha1.";
        }

        if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            return "Django PBKDF2 iteration count is not a number.";
        }

        var salt = parts[2];
        if (salt.Length is 0 or > ImportedHashLimits.MaxSaltBytes)
        {
            return $"Django PBKDF2 salt must be 1–{ImportedHashLimits.MaxSaltBytes} characters.";
        }

        var expected = new byte[parts[3].Length * 3 / 4];
        if (!Convert.TryFromBase64String(parts[3], expected, out var length) || length != Pbkdf2.DigestBytes(knownPrf))
        {
            return $"Django PBKDF2 hash must be base64 of {Pbkdf2.DigestBytes(knownPrf)} bytes.";
        }

        if (Pbkdf2.Problem(knownPrf, iterations, length) is { } problem)
        {
            return problem;
        }

        hash = new DjangoPbkdf2Hash(value, knownPrf, (int)iterations, Encoding.UTF8.GetBytes(salt), expected[..length]);
        return null;
    }
}
