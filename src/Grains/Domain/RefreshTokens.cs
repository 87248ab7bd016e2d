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

    /// <summary>
    /// The first secret of a session: HMAC-SHA256 under its rotation key of a fixed label. Derived rather than drawn,
    /// so that a repeated start of the same session (its answer was lost with a silo) hands out the same first
    /// token without it ever being stored. The label's length differs from a secret's, so it can never be the input
    /// of a <see cref="Successor"/>.
    /// </summary>
    public static byte[] Initial(ReadOnlySpan<byte> rotationKey) => HMACSHA256.HashData(rotationKey, InitialLabel);

    private static ReadOnlySpan<byte> InitialLabel => "authcluster/session/initial-refresh-secret/v1"u8;

    public static bool Matches(ReadOnlySpan<byte> secret, byte[]? digest) =>
        digest is not null && CryptographicOperations.FixedTimeEquals(Digest(secret), digest);
}
