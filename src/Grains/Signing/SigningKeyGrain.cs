using System.Buffers.Text;
using System.Security.Cryptography;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Signing;

public sealed class SigningKeyState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>), for <c>[PersistentState]</c> and for whatever reads the rows directly.</summary>
    public const string StateName = "signingkeys";

    public List<SigningKeyRecord> Keys { get; set; } = [];
}

/// <summary>
/// One per issuer. Owns key creation and rotation so that every API node signs with the same ring. Each key added to
/// or retired from the ring is a security event (<see cref="SecurityEvents.Category"/>), named by its public kid.
/// </summary>
public sealed partial class SigningKeyGrain(
    [PersistentState(SigningKeyState.StateName, StorageNames.Auth)] IPersistentState<SigningKeyState> state,
    KeyEncryption keyEncryption,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : Grain, ISigningKeyGrain
{
    private readonly ILogger _security = loggers.CreateLogger(SecurityEvents.Category);

    public async Task<IReadOnlyList<SigningKeyRecord>> GetKeyRing()
    {
        var before = state.State.Keys;
        var ring = SigningKeyRing.Advance(before, time.GetUtcNow(), options.Value, CreateKey);
        if (!ring.SequenceEqual(before))
        {
            state.State.Keys = ring;
            await state.WriteOrDeactivateAsync(this);

            // Logged once written: a key that never reached storage was never in the ring.
            foreach (var added in ring.ExceptBy(before.Select(k => k.KeyId), k => k.KeyId))
            {
                LogKeyAdded(_security, added.KeyId, added.Algorithm, added.SignsFrom, added.SignsUntil);
            }

            foreach (var retired in before.ExceptBy(ring.Select(k => k.KeyId), k => k.KeyId))
            {
                LogKeyRetired(_security, retired.KeyId, retired.Algorithm);
            }
        }

        return ring;
    }

    private SigningKeyRecord CreateKey(string algorithm, DateTimeOffset publishedAt, DateTimeOffset signsFrom, DateTimeOffset signsUntil)
    {
        var keyId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
        var privateKey = SigningKeyMaterial.Generate(algorithm);
        var tokenTail = options.Value.Tokens.AccessTokenLifetime + options.Value.Tokens.ClockSkew;
        return new SigningKeyRecord(
            keyId,
            algorithm,
            keyEncryption.Encrypt(privateKey, keyId),
            publishedAt,
            signsFrom,
            signsUntil,
            signsUntil + tokenTail);
    }
}

/// <summary>Creates private keys (PKCS#8) for the supported JWS algorithms.</summary>
public static class SigningKeyMaterial
{
    public static byte[] Generate(string algorithm)
    {
        switch (algorithm)
        {
            case "ES256":
                using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    return ec.ExportPkcs8PrivateKey();
                }

            case "PS256" or "RS256":
                using (var rsa = RSA.Create(2048))
                {
                    return rsa.ExportPkcs8PrivateKey();
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unsupported signing algorithm.");
        }
    }
}
