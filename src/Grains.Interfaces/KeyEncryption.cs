using System.Security.Cryptography;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Encrypts signing keys (and other small secrets at rest) with the key-encryption keys (KEKs) from configuration
/// (AES-256-GCM). Several KEKs may be configured, each under an id; new ciphertext is always made with the current
/// one, and ciphertext made under any configured KEK can be read, so that a KEK can be rotated without a flag day:
/// add the new KEK everywhere, make it current, re-encrypt the ring (<c>kek rotate</c>), then drop the old one.
/// </summary>
public sealed class KeyEncryption
{
    /// <summary>The id of the single KEK of <c>Auth:Signing:KeyEncryptionKey</c> (and of the development KEK file).</summary>
    public const string ImplicitKekId = "default";

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly IReadOnlyDictionary<string, byte[]> _keks;

    public KeyEncryption(byte[] kek)
        : this(new Dictionary<string, byte[]> { [ImplicitKekId] = kek }, ImplicitKekId)
    {
    }

    public KeyEncryption(IReadOnlyDictionary<string, byte[]> keks, string currentKekId)
    {
        if (keks.Values.Any(k => k.Length != 32))
        {
            throw new ArgumentException("Every key-encryption key must be 32 bytes.", nameof(keks));
        }

        if (!keks.ContainsKey(currentKekId))
        {
            throw new ArgumentException("The current key-encryption key must be one of the configured ones.", nameof(currentKekId));
        }

        _keks = keks;
        CurrentKekId = currentKekId;
    }

    /// <summary>The KEK that encrypts everything new.</summary>
    public string CurrentKekId { get; }

    /// <summary>Every configured KEK id (the current one included).</summary>
    public IEnumerable<string> KekIds => _keks.Keys;

    /// <summary>Parses a single configured base64 KEK (the implicit one); throws without echoing the value.</summary>
    public static KeyEncryption FromBase64(string value) => new(ParseKek(value, "Auth:Signing:KeyEncryptionKey"));

    /// <summary>
    /// The KEKs of <c>Auth:Signing</c>: <c>Keks:&lt;id&gt;</c> (base64 of 32 bytes each) with <c>CurrentKek</c>, and the
    /// older single <c>KeyEncryptionKey</c> as the KEK <see cref="ImplicitKekId"/>. Null when none is configured.
    /// Throws, naming the setting but never its value, when the configuration is unusable.
    /// </summary>
    public static KeyEncryption? FromOptions(SigningOptions signing)
    {
        var keks = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, value) in signing.Keks)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                // An emptied entry (e.g. an environment variable set to "") removes a KEK, as deleting it would.
                continue;
            }

            keks[id] = ParseKek(value, $"Auth:Signing:Keks:{id}");
        }

        if (!string.IsNullOrWhiteSpace(signing.KeyEncryptionKey))
        {
            if (keks.ContainsKey(ImplicitKekId))
            {
                throw new InvalidOperationException(
                    $"Auth:Signing:KeyEncryptionKey and Auth:Signing:Keks:{ImplicitKekId} are the same KEK; configure only one of them.");
            }

            keks[ImplicitKekId] = ParseKek(signing.KeyEncryptionKey, "Auth:Signing:KeyEncryptionKey");
        }

        if (keks.Count == 0)
        {
            return null;
        }

        var current = string.IsNullOrWhiteSpace(signing.CurrentKek)
            ? keks.Count == 1 ? keks.Keys.Single() : null
            : signing.CurrentKek.Trim();
        if (current is null || !keks.ContainsKey(current))
        {
            throw new InvalidOperationException(
                $"Auth:Signing:CurrentKek must name one of the configured KEKs ({string.Join(", ", keks.Keys.Order(StringComparer.Ordinal))}).");
        }

        return new KeyEncryption(keks, current);
    }

    /// <summary>Encrypts under the current KEK.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keks[CurrentKekId], TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), System.Text.Encoding.UTF8.GetBytes(associatedData));
        return output;
    }

    /// <summary>
    /// Decrypts ciphertext made under any configured KEK. The GCM tag tells which one fits, so ciphertext needs no KEK
    /// id of its own; <paramref name="kekIdHint"/> (where the caller knows it) is only tried first.
    /// </summary>
    public byte[] Decrypt(ReadOnlySpan<byte> ciphertext, string associatedData, string? kekIdHint = null) =>
        Decrypt(ciphertext, associatedData, kekIdHint, out _);

    /// <summary>As <see cref="Decrypt(ReadOnlySpan{byte}, string, string?)"/>, also telling which KEK it was under.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> ciphertext, string associatedData, string? kekIdHint, out string kekId)
    {
        if (ciphertext.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Encrypted key is truncated.");
        }

        var plaintext = new byte[ciphertext.Length - NonceSize - TagSize];
        var data = System.Text.Encoding.UTF8.GetBytes(associatedData);
        var candidates = _keks.Keys.OrderBy(id => id == kekIdHint ? 0 : id == CurrentKekId ? 1 : 2);
        foreach (var candidate in candidates)
        {
            using var aes = new AesGcm(_keks[candidate], TagSize);
            try
            {
                aes.Decrypt(ciphertext[..NonceSize], ciphertext[(NonceSize + TagSize)..], ciphertext.Slice(NonceSize, TagSize), plaintext, data);
                kekId = candidate;
                return plaintext;
            }
            catch (AuthenticationTagMismatchException)
            {
                // Not this KEK (or tampered with): try the next one.
            }
        }

        // The type a single KEK's failure has always had: callers and tests tell tampering or a wrong KEK by it.
        throw new AuthenticationTagMismatchException("No configured key-encryption key decrypts this key.");
    }

    private static byte[] ParseKek(string value, string setting)
    {
        byte[] kek;
        try
        {
            kek = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{setting} is not valid base64.");
        }

        return kek.Length == 32 ? kek : throw new InvalidOperationException($"{setting} must decode to 32 bytes.");
    }
}
