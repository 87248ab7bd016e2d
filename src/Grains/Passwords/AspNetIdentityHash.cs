using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AuthCluster.Grains.Passwords;

/// <summary>
/// ASP.NET Core Identity's <c>PasswordHasher&lt;T&gt;</c> output, base64 of:
/// v2 — <c>0x00</c>, 16-byte salt, 32-byte PBKDF2-HMAC-SHA1 subkey at 1,000 iterations;
/// v3 — <c>0x01</c>, PRF, iteration count and salt length (each a big-endian uint32), salt, subkey
/// (the subkey is whatever remains).
/// </summary>
internal sealed class AspNetIdentityHash : ImportedPasswordHash
{
    private const byte V2Marker = 0x00;
    private const byte V3Marker = 0x01;
    private const int V2SaltBytes = 16;
    private const int V2SubkeyBytes = 32;
    private const int V2Iterations = 1_000;
    private const int V3HeaderBytes = 13;

    // Identity itself refuses salts and subkeys shorter than 128 bits.
    private const int MinV3Bytes = 16;

    private readonly int _version;
    private readonly HashAlgorithmName _prf;
    private readonly int _iterations;
    private readonly byte[] _salt;
    private readonly byte[] _subkey;

    private AspNetIdentityHash(string value, int version, HashAlgorithmName prf, int iterations, byte[] salt, byte[] subkey) : base(value)
    {
        _version = version;
        _prf = prf;
        _iterations = iterations;
        _salt = salt;
        _subkey = subkey;
    }

    public override ImportedHashKind Kind => ImportedHashKind.AspNetIdentity;

    /// <summary>2 or 3, from the marker byte.</summary>
    public int FormatVersion => _version;

    public override bool Verify(string password) => Pbkdf2.Verify(password, _salt, _iterations, _prf, _subkey);

    /// <summary>Why <paramref name="value"/> is not an accepted Identity hash, or null with <paramref name="hash"/> set.</summary>
    internal static string? Read(string value, out ImportedPasswordHash? hash)
    {
        hash = null;
        var bytes = new byte[value.Length * 3 / 4];
        if (!Convert.TryFromBase64String(value, bytes, out var length) || length == 0)
        {
            return "Is not one of the accepted formats (bcrypt, ASP.NET Core Identity v2/v3, Django PBKDF2, argon2id).";
        }

        var decoded = bytes.AsSpan(0, length);
        return decoded[0] switch
        {
            V2Marker => ReadV2(value, decoded, out hash),
            V3Marker => ReadV3(value, decoded, out hash),
            _ => "Is base64 but not an ASP.NET Core Identity hash (unknown format marker).",
        };
    }

    private static string? ReadV2(string value, ReadOnlySpan<byte> decoded, out ImportedPasswordHash? hash)
    {
        hash = null;
        if (decoded.Length != 1 + V2SaltBytes + V2SubkeyBytes)
        {
            return "ASP.NET Core Identity v2 hash has the wrong length.";
        }

        hash = new AspNetIdentityHash(
            value, 2, HashAlgorithmName.SHA1, V2Iterations, decoded.Slice(1, V2SaltBytes).ToArray(), decoded[(1 + V2SaltBytes)..].ToArray());
        return null;
    }

    private static string? ReadV3(string value, ReadOnlySpan<byte> decoded, out ImportedPasswordHash? hash)
    {
        hash = null;
        if (decoded.Length < V3HeaderBytes + MinV3Bytes + MinV3Bytes)
        {
            return "ASP.NET Core Identity v3 hash is too short.";
        }

        // KeyDerivationPrf: 0 HMACSHA1, 1 HMACSHA256, 2 HMACSHA512.
        HashAlgorithmName? prf = BinaryPrimitives.ReadUInt32BigEndian(decoded[1..]) switch
        {
            0 => HashAlgorithmName.SHA1,
            1 => HashAlgorithmName.SHA256,
            2 => HashAlgorithmName.SHA512,
            _ => null,
        };
        if (prf is not { } knownPrf)
        {
            return "ASP.NET Core Identity v3 hash names an unknown PRF.";
        }

        var iterations = BinaryPrimitives.ReadUInt32BigEndian(decoded[5..]);
        var saltLength = BinaryPrimitives.ReadUInt32BigEndian(decoded[9..]);
        var available = decoded.Length - V3HeaderBytes;
        if (saltLength < MinV3Bytes || saltLength > ImportedHashLimits.MaxSaltBytes || saltLength > available - MinV3Bytes)
        {
            return $"ASP.NET Core Identity v3 salt must be {MinV3Bytes}–{ImportedHashLimits.MaxSaltBytes} bytes and leave at least {MinV3Bytes} bytes of subkey.";
        }

        var salt = decoded.Slice(V3HeaderBytes, (int)saltLength);
        var subkey = decoded[(V3HeaderBytes + (int)saltLength)..];
        if (Pbkdf2.Problem(knownPrf, iterations, subkey.Length) is { } problem)
        {
            return problem;
        }

        hash = new AspNetIdentityHash(value, 3, knownPrf, (int)iterations, salt.ToArray(), subkey.ToArray());
        return null;
    }
}
