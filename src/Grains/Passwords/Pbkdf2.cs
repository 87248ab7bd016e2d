using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AuthCluster.Grains.Passwords;

/// <summary>PBKDF2 as ASP.NET Core Identity and Django use it: UTF-8 password, HMAC of the given digest.</summary>
internal static class Pbkdf2
{
    /// <summary>Why these parameters are not accepted, or null.</summary>
    public static string? Problem(HashAlgorithmName prf, long iterations, int keyBytes)
    {
        if (iterations < ImportedHashLimits.MinPbkdf2Iterations)
        {
            return $"PBKDF2 iteration count {iterations} is below the accepted minimum of {ImportedHashLimits.MinPbkdf2Iterations}.";
        }

        if (keyBytes is < ImportedHashLimits.MinHashBytes or > ImportedHashLimits.MaxHashBytes)
        {
            return $"Derived key must be {ImportedHashLimits.MinHashBytes}–{ImportedHashLimits.MaxHashBytes} bytes (is {keyBytes}).";
        }

        var blocks = (keyBytes + DigestBytes(prf) - 1) / DigestBytes(prf);
        var limit = ImportedHashLimits.MaxPbkdf2Work(prf);
        return iterations * blocks > limit
            ? string.Create(CultureInfo.InvariantCulture, $"PBKDF2-{prf.Name} with {iterations} iterations × {blocks} output block(s) exceeds the accepted work of {limit}.")
            : null;
    }

    // SHA-1 is what these legacy formats were written with; verifying them is the whole point of the import,
    // and the hash is replaced by AuthCluster's own scheme at the first successful login.
    public static bool Verify(string password, ReadOnlySpan<byte> salt, int iterations, HashAlgorithmName prf, ReadOnlySpan<byte> expected)
    {
        // Encoding.UTF8 replaces unpaired surrogates as Identity's KeyDerivation does, where the string overload
        // of Pbkdf2 would throw.
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            var actual = Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, iterations, prf, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    public static int DigestBytes(HashAlgorithmName prf) =>
        prf == HashAlgorithmName.SHA1 ? 20 : prf == HashAlgorithmName.SHA256 ? 32 : prf == HashAlgorithmName.SHA512 ? 64
        : throw new ArgumentOutOfRangeException(nameof(prf), prf.Name, null);
}
