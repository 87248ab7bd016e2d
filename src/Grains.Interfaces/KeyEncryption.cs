using System.Security.Cryptography;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Encrypts signing keys at rest with the key-encryption key (KEK) from configuration (AES-256-GCM).
/// Silos encrypt when they create a key; API nodes decrypt when they load the ring.
/// </summary>
public sealed class KeyEncryption
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _kek;

    public KeyEncryption(byte[] kek)
    {
        if (kek.Length != 32)
        {
            throw new ArgumentException("The key-encryption key must be 32 bytes.", nameof(kek));
        }

        _kek = kek;
    }

    /// <summary>Parses the configured base64 KEK; throws without echoing the value.</summary>
    public static KeyEncryption FromBase64(string value)
    {
        byte[] kek;
        try
        {
            kek = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Auth:Signing:KeyEncryptionKey is not valid base64.");
        }

        return kek.Length == 32
            ? new KeyEncryption(kek)
            : throw new InvalidOperationException("Auth:Signing:KeyEncryptionKey must decode to 32 bytes.");
    }

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_kek, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), System.Text.Encoding.UTF8.GetBytes(associatedData));
        return output;
    }

    public byte[] Decrypt(ReadOnlySpan<byte> ciphertext, string associatedData)
    {
        if (ciphertext.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Encrypted key is truncated.");
        }

        var plaintext = new byte[ciphertext.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_kek, TagSize);
        aes.Decrypt(ciphertext[..NonceSize], ciphertext[(NonceSize + TagSize)..], ciphertext.Slice(NonceSize, TagSize), plaintext, System.Text.Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }
}
