using System.Buffers.Text;
using System.Security.Cryptography;

namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>
/// Password-reset hashes: 256 bits from the CSPRNG, base64url (43 characters). Only the SHA-256 digest is kept
/// as the lookup key; the secret is 256-bit random, so a plain digest (no salt, no stretching) cannot be inverted.
/// </summary>
public static class ResetHashes
{
    public const int SecretSize = 32;
    public static readonly int EncodedLength = Base64Url.GetEncodedLength(SecretSize);

    /// <summary>A new hash and its key.</summary>
    public static (string Hash, string Key) New()
    {
        var secret = RandomNumberGenerator.GetBytes(SecretSize);
        return (Base64Url.EncodeToString(secret), KeyOf(secret));
    }

    /// <summary>The key of a presented hash; false for anything that is not a well-formed hash.</summary>
    public static bool TryGetKey(string? hash, out string key)
    {
        key = "";
        if (hash is null || hash.Length != EncodedLength)
        {
            return false;
        }

        Span<byte> secret = stackalloc byte[SecretSize];
        if (Base64Url.DecodeFromChars(hash, secret, out _, out var written) != System.Buffers.OperationStatus.Done || written != SecretSize)
        {
            return false;
        }

        key = KeyOf(secret);
        return true;
    }

    /// <summary>Constant-time comparison of two keys, so that timing does not leak how much of a key matched.</summary>
    public static bool KeysEqual(string? a, string? b) =>
        a is not null && b is not null
        && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b));

    private static string KeyOf(ReadOnlySpan<byte> secret) => Convert.ToHexStringLower(SHA256.HashData(secret));
}
