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

    /// <summary>Revoked keys, without their private keys, kept for <c>keys list</c> until they would have left the ring.</summary>
    public List<RevokedSigningKey> Revoked { get; set; } = [];

    /// <summary>Grows with every change of <see cref="Keys"/>; see <see cref="SigningKeyRingVersion"/>.</summary>
    public long Version { get; set; }
}

/// <summary>What is left of a revoked key: public facts for <c>keys list</c>; the private key is gone.</summary>
public sealed record RevokedSigningKey(
    string KeyId,
    string Algorithm,
    DateTimeOffset PublishedAt,
    DateTimeOffset SignsFrom,
    DateTimeOffset SignsUntil,
    DateTimeOffset RetiresAt,
    DateTimeOffset RevokedAt,
    string? KekId);

/// <summary>
/// One per issuer. Owns key creation, rotation and revocation so that every API node signs with the same ring. Each key
/// added to, retired from or revoked from the ring is a security event (<see cref="SecurityEvents.Category"/>), named
/// by its public kid. API nodes subscribe an observer: a change an operator makes reaches every subscribed node before
/// the admin call returns, so a revoked key stops verifying at once without any grain call per validation.
/// </summary>
public sealed partial class SigningKeyGrain(
    [PersistentState(SigningKeyState.StateName, StorageNames.Auth)] IPersistentState<SigningKeyState> state,
    KeyEncryption keyEncryption,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : Grain, ISigningKeyGrain
{
    /// <summary>How long a subscription lasts without renewal; API nodes renew every 30 s (SigningKeyCache).</summary>
    private static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromMinutes(2);

    /// <summary>How long a change waits for one node; a node that does not answer is dropped and catches up by polling.</summary>
    private static readonly TimeSpan NotifyTimeout = TimeSpan.FromSeconds(5);

    private readonly ILogger _security = loggers.CreateLogger(SecurityEvents.Category);
    private readonly Dictionary<IKeyRingObserver, DateTimeOffset> _observers = [];

    private SigningKeyRingVersion Ring => new(state.State.Version, state.State.Keys);

    public async Task<IReadOnlyList<SigningKeyRecord>> GetKeyRing() => (await AdvanceAsync()).Keys;

    public async Task<SigningKeyRingVersion> Subscribe(IKeyRingObserver observer)
    {
        _observers[observer] = time.GetUtcNow() + SubscriptionLifetime;
        return await AdvanceAsync();
    }

    public async Task<IReadOnlyList<SigningKeyInfo>> ListKeys()
    {
        var ring = await AdvanceAsync();
        var now = time.GetUtcNow();
        var published = ring.Keys.Select(k => new SigningKeyInfo(
            k.KeyId,
            k.Algorithm,
            k.SignsFrom > now ? SigningKeyStatus.Published : now < k.SignsUntil ? SigningKeyStatus.Current : SigningKeyStatus.Retired,
            k.PublishedAt,
            k.SignsFrom,
            k.SignsUntil,
            k.RetiresAt,
            k.EncryptedUnder,
            null));
        var revoked = state.State.Revoked.Where(k => k.RetiresAt > now).Select(k => new SigningKeyInfo(
            k.KeyId, k.Algorithm, SigningKeyStatus.Revoked, k.PublishedAt, k.SignsFrom, k.SignsUntil, k.RetiresAt, k.KekId, k.RevokedAt));
        return [.. published.Concat(revoked).OrderBy(k => k.SignsFrom).ThenBy(k => k.CreatedAt)];
    }

    public async Task<SigningKeyRotation> Rotate(string actor)
    {
        var now = time.GetUtcNow();
        var previous = SigningKeyRing.SignerAt(state.State.Keys, now);
        var ring = SigningKeyRing.Rotate(state.State.Keys, now, options.Value, CreateKey);
        await CommitAsync(ring, now);
        var current = SigningKeyRing.SignerAt(ring, now)!;
        LogKeysRotated(_security, actor, current.KeyId, previous?.KeyId ?? "-");
        return new SigningKeyRotation(current.KeyId, previous?.KeyId, await NotifyAsync());
    }

    public async Task<SigningKeyRevocation> Revoke(string keyId, string actor)
    {
        if (state.State.Revoked.Any(k => k.KeyId == keyId))
        {
            // A repeated call (a retry after a lost answer) still makes sure every node has heard of it.
            return new SigningKeyRevocation(SigningKeyRevocationOutcome.AlreadyRevoked, null, await NotifyAsync());
        }

        if (state.State.Keys.FirstOrDefault(k => k.KeyId == keyId) is not { } key)
        {
            return new SigningKeyRevocation(SigningKeyRevocationOutcome.NotFound, null, 0);
        }

        // A revoked current key cannot keep signing until someone rotates: another key takes over in the same write.
        var now = time.GetUtcNow();
        var wasSigning = key.SignsFrom <= now && now < key.SignsUntil;
        var rest = state.State.Keys.Where(k => k.KeyId != keyId).ToList();
        var ring = wasSigning
            ? SigningKeyRing.Rotate(rest, now, options.Value, CreateKey)
            : SigningKeyRing.Advance(rest, now, options.Value, CreateKey);
        state.State.Revoked.Add(new RevokedSigningKey(
            key.KeyId, key.Algorithm, key.PublishedAt, key.SignsFrom, key.SignsUntil, key.RetiresAt, now, key.KekId));
        await CommitAsync(ring, now);

        var current = wasSigning ? SigningKeyRing.SignerAt(ring, now)?.KeyId : null;
        LogKeyRevoked(_security, actor, key.KeyId, key.Algorithm, current ?? "-");
        return new SigningKeyRevocation(SigningKeyRevocationOutcome.Revoked, current, await NotifyAsync());
    }

    public async Task<KekRotation> ReencryptRing(string? expectedKekId, string actor)
    {
        var currentKek = keyEncryption.CurrentKekId;
        if (expectedKekId is not null && expectedKekId != currentKek)
        {
            LogKekRotationRefused(_security, actor, nameof(KekRotationOutcome.CurrentKekMismatch), currentKek, expectedKekId);
            return new KekRotation(KekRotationOutcome.CurrentKekMismatch, currentKek, 0, [], []);
        }

        var ring = new List<SigningKeyRecord>();
        var previous = new SortedSet<string>(StringComparer.Ordinal);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var key in state.State.Keys)
        {
            byte[] privateKey;
            string under;
            try
            {
                // Decrypt rather than trust the recorded id: a KEK may have been renamed in configuration.
                privateKey = keyEncryption.Decrypt(key.EncryptedPrivateKey, key.KeyId, key.KekId, out under);
            }
            catch (CryptographicException)
            {
                missing.Add(key.EncryptedUnder);
                continue;
            }

            try
            {
                if (under == currentKek && key.KekId == currentKek)
                {
                    ring.Add(key);
                    continue;
                }

                previous.Add(under);
                ring.Add(key with { EncryptedPrivateKey = keyEncryption.Encrypt(privateKey, key.KeyId), KekId = currentKek });
            }
            finally
            {
                CryptographicOperations.ZeroMemory(privateKey);
            }
        }

        if (missing.Count > 0)
        {
            LogKekRotationRefused(_security, actor, nameof(KekRotationOutcome.KekMissing), currentKek, string.Join(", ", missing));
            return new KekRotation(KekRotationOutcome.KekMissing, currentKek, 0, [], [.. missing]);
        }

        var reencrypted = ring.Count(k => !state.State.Keys.Contains(k));
        if (reencrypted > 0)
        {
            await CommitAsync(ring, time.GetUtcNow());
            await NotifyAsync();
        }

        LogKekRotated(_security, actor, currentKek, reencrypted, previous.Count == 0 ? "-" : string.Join(", ", previous));
        return new KekRotation(KekRotationOutcome.Done, currentKek, reencrypted, [.. previous], []);
    }

    /// <summary>Rotates when due (the schedule of <see cref="SigningKeyRing.Advance"/>) and returns the ring.</summary>
    private async Task<SigningKeyRingVersion> AdvanceAsync()
    {
        var now = time.GetUtcNow();
        var ring = SigningKeyRing.Advance(state.State.Keys, now, options.Value, CreateKey);
        if (!ring.SequenceEqual(state.State.Keys))
        {
            await CommitAsync(ring, now);
        }

        return Ring;
    }

    private async Task CommitAsync(List<SigningKeyRecord> ring, DateTimeOffset now)
    {
        var before = state.State.Keys;
        state.State.Keys = ring;
        state.State.Revoked.RemoveAll(k => k.RetiresAt <= now);
        state.State.Version++;
        await state.WriteOrDeactivateAsync(this);

        // Logged once written: a key that never reached storage was never in the ring.
        foreach (var added in ring.ExceptBy(before.Select(k => k.KeyId), k => k.KeyId))
        {
            LogKeyAdded(_security, added.KeyId, added.Algorithm, added.SignsFrom, added.SignsUntil);
        }

        var revoked = state.State.Revoked.Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal);
        foreach (var retired in before.ExceptBy(ring.Select(k => k.KeyId), k => k.KeyId).Where(k => !revoked.Contains(k.KeyId)))
        {
            LogKeyRetired(_security, retired.KeyId, retired.Algorithm);
        }
    }

    /// <summary>Pushes the ring to every subscribed API node at once; returns how many have it.</summary>
    private async Task<int> NotifyAsync()
    {
        var now = time.GetUtcNow();
        foreach (var expired in _observers.Where(o => o.Value <= now).Select(o => o.Key).ToList())
        {
            _observers.Remove(expired);
        }

        var ring = Ring;
        var observers = _observers.Keys.ToList();
        var delivered = await Task.WhenAll(observers.Select(async observer =>
        {
            try
            {
                await observer.RingChanged(ring).WaitAsync(NotifyTimeout, time);
                return true;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Gone or stuck: forget it. A live node subscribes again with its next poll and gets the ring then.
                return false;
            }
        }));

        for (var i = 0; i < observers.Count; i++)
        {
            if (!delivered[i])
            {
                _observers.Remove(observers[i]);
            }
        }

        return delivered.Count(d => d);
    }

    private SigningKeyRecord CreateKey(string algorithm, DateTimeOffset publishedAt, DateTimeOffset signsFrom, DateTimeOffset signsUntil)
    {
        var keyId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
        var privateKey = SigningKeyMaterial.Generate(algorithm);
        try
        {
            var tokenTail = options.Value.Tokens.AccessTokenLifetime + options.Value.Tokens.ClockSkew;
            return new SigningKeyRecord(
                keyId,
                algorithm,
                keyEncryption.Encrypt(privateKey, keyId),
                publishedAt,
                signsFrom,
                signsUntil,
                signsUntil + tokenTail,
                keyEncryption.CurrentKekId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
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
