using System.Security.Cryptography;
using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Grains.Domain;

/// <summary>
/// The secrets inside refresh tokens (<see cref="RefreshTokenFormat"/>): how they are drawn, stored (as
/// SHA-256 digests only) and rotated. Only the session grain needs this; the API only routes tokens.
/// </summary>
public static class RefreshTokens
{
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(RefreshTokenFormat.SecretSize);

    public static byte[] Digest(ReadOnlySpan<byte> secret) => SHA256.HashData(secret);

    /// <summary>
    /// The successor of a secret: HMAC-SHA256 under the session's rotation key. Deterministic, so a retired
    /// token presented again inside the grace window yields the very same successor without the successor
    /// ever being stored in the clear.
    /// </summary>
    public static byte[] Successor(ReadOnlySpan<byte> rotationKey, ReadOnlySpan<byte> secret) =>
        HMACSHA256.HashData(rotationKey, secret);

    public static bool Matches(ReadOnlySpan<byte> secret, byte[]? digest) =>
        digest is not null && CryptographicOperations.FixedTimeEquals(Digest(secret), digest);
}
