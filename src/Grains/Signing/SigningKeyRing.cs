using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Grains.Signing;

/// <summary>
/// The rotation schedule, as pure rules over the ring and a point in time:
/// exactly one key of the configured algorithm signs at any moment; its successor is published
/// <see cref="SigningOptions.PublishLead"/> before it signs; a key stays published until every token
/// it signed has expired (its signing end + access-token lifetime + clock skew).
/// </summary>
public static class SigningKeyRing
{
    /// <summary>Returns the ring as it must be at <paramref name="now"/>, creating keys through <paramref name="createKey"/>.</summary>
    public static List<SigningKeyRecord> Advance(
        IReadOnlyList<SigningKeyRecord> ring,
        DateTimeOffset now,
        AuthOptions options,
        Func<string, DateTimeOffset, DateTimeOffset, DateTimeOffset, SigningKeyRecord> createKey)
    {
        var signing = options.Signing;
        var tokenTail = options.Tokens.AccessTokenLifetime + options.Tokens.ClockSkew;
        var keys = ring.Where(k => k.RetiresAt > now).ToList();

        // A changed algorithm setting takes effect at once: keys of another algorithm stop signing now.
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            if (key.Algorithm != signing.Algorithm && key.SignsUntil > now)
            {
                keys[i] = key with { SignsFrom = key.SignsFrom > now ? now : key.SignsFrom, SignsUntil = now, RetiresAt = now + tokenTail };
            }
        }

        var current = keys.FirstOrDefault(k => k.SignsFrom <= now && now < k.SignsUntil);
        if (current is null)
        {
            // Nothing signs now (first start, or the service was down past a rotation): a key must sign at once.
            current = createKey(signing.Algorithm, now, now, now + signing.RotationInterval);
            keys.Add(current);
        }

        var hasSuccessor = keys.Any(k => k.SignsFrom >= current.SignsUntil);
        if (!hasSuccessor && current.SignsUntil - now <= signing.PublishLead)
        {
            keys.Add(createKey(signing.Algorithm, now, current.SignsUntil, current.SignsUntil + signing.RotationInterval));
        }

        return keys;
    }

    /// <summary>
    /// Makes another key sign from <paramref name="now"/> on (<c>keys rotate</c>, or revoking the current key): the
    /// current signer stops signing but stays published until its tokens have expired; the published successor, which
    /// validators already know, takes over at once, or else a new key does.
    /// </summary>
    public static List<SigningKeyRecord> Rotate(
        IReadOnlyList<SigningKeyRecord> ring,
        DateTimeOffset now,
        AuthOptions options,
        Func<string, DateTimeOffset, DateTimeOffset, DateTimeOffset, SigningKeyRecord> createKey)
    {
        var signing = options.Signing;
        var tokenTail = options.Tokens.AccessTokenLifetime + options.Tokens.ClockSkew;
        var keys = ring.Where(k => k.RetiresAt > now).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i].SignsFrom <= now && now < keys[i].SignsUntil)
            {
                keys[i] = keys[i] with { SignsUntil = now, RetiresAt = now + tokenTail };
            }
        }

        var successor = keys.Where(k => k.SignsFrom > now && k.Algorithm == signing.Algorithm).MinBy(k => k.SignsFrom);
        if (successor is null)
        {
            keys.Add(createKey(signing.Algorithm, now, now, now + signing.RotationInterval));
        }
        else
        {
            keys[keys.IndexOf(successor)] = successor with
            {
                SignsFrom = now,
                SignsUntil = now + signing.RotationInterval,
                RetiresAt = now + signing.RotationInterval + tokenTail,
            };
        }

        return keys;
    }

    /// <summary>The key that signs at <paramref name="now"/>, if any.</summary>
    public static SigningKeyRecord? SignerAt(IEnumerable<SigningKeyRecord> ring, DateTimeOffset now) =>
        ring.FirstOrDefault(k => k.SignsFrom <= now && now < k.SignsUntil);
}
