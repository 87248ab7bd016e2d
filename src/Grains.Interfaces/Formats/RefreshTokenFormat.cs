using System.Buffers.Text;

namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>
/// Refresh token format: base64url(session id (16 bytes) ‖ secret (32 bytes)). The session id routes the
/// token to its session grain; the 256-bit secret is the credential, stored only as its SHA-256 digest.
/// The API parses tokens to route them, the session grain mints them: both sides read this one definition.
/// </summary>
public static class RefreshTokenFormat
{
    public const int SecretSize = 32;
    private const int TokenBytes = 16 + SecretSize;

    public static string Format(Guid sessionId, ReadOnlySpan<byte> secret)
    {
        Span<byte> bytes = stackalloc byte[TokenBytes];
        sessionId.TryWriteBytes(bytes[..16]);
        secret.CopyTo(bytes[16..]);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>Splits a presented token; false for anything that is not a well-formed refresh token.</summary>
    public static bool TryParse(string? token, out Guid sessionId, out byte[] secret)
    {
        sessionId = Guid.Empty;
        secret = [];
        if (token is null || token.Length != Base64Url.GetEncodedLength(TokenBytes))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[TokenBytes];
        if (Base64Url.DecodeFromChars(token, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != TokenBytes)
        {
            return false;
        }

        sessionId = new Guid(bytes[..16]);
        secret = bytes[16..].ToArray();
        return true;
    }
}
