using System.Buffers.Text;
using System.Security.Cryptography;
using AuthCluster.Grains.Interfaces;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Options;

namespace AuthCluster.Api.Tokens;

/// <summary>A decrypted key of the ring, ready to sign or verify.</summary>
public sealed record SigningKey(SigningKeyRecord Record, AsymmetricSecurityKey SecurityKey, SigningCredentials Credentials)
{
    public string KeyId => Record.KeyId;
    public string Algorithm => Record.Algorithm;

    /// <summary>The public JWK (RFC 7517) of this key: never any private parameter.</summary>
    public Dictionary<string, string> PublicJwk()
    {
        var jwk = new Dictionary<string, string> { ["kid"] = KeyId, ["use"] = "sig", ["alg"] = Algorithm };
        switch (SecurityKey)
        {
            case ECDsaSecurityKey ec:
                var point = ec.ECDsa.ExportParameters(includePrivateParameters: false).Q;
                jwk["kty"] = "EC";
                jwk["crv"] = "P-256";
                jwk["x"] = Base64Url.EncodeToString(point.X);
                jwk["y"] = Base64Url.EncodeToString(point.Y);
                break;
            case RsaSecurityKey rsa:
                var parameters = rsa.Rsa.ExportParameters(includePrivateParameters: false);
                jwk["kty"] = "RSA";
                jwk["n"] = Base64Url.EncodeToString(parameters.Modulus);
                jwk["e"] = Base64Url.EncodeToString(parameters.Exponent);
                break;
        }

        return jwk;
    }

    public static SigningKey Load(SigningKeyRecord record, KeyEncryption encryption)
    {
        var pkcs8 = encryption.Decrypt(record.EncryptedPrivateKey, record.KeyId, record.KekId);
        try
        {
            AsymmetricSecurityKey key;
            if (record.Algorithm == "ES256")
            {
                var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(pkcs8, out _);
                key = new ECDsaSecurityKey(ec) { KeyId = record.KeyId };
            }
            else
            {
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                key = new RsaSecurityKey(rsa) { KeyId = record.KeyId };
            }

            return new SigningKey(record, key, new SigningCredentials(key, record.Algorithm));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}

/// <summary>
/// The API node's copy of the key ring, so that signing and verifying never wait for a grain call. Loaded from the
/// <see cref="ISigningKeyGrain"/> at start; kept current by a subscription (the grain pushes every admin change —
/// rotation, revocation, re-encryption — to this node before the admin call returns) and by a poll every 30 s that
/// also renews the subscription and picks up scheduled rotations.
/// </summary>
public sealed partial class SigningKeyCache : BackgroundService, IKeyRingObserver
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly IGrainFactory _grains;
    private readonly KeyEncryption _encryption;
    private readonly IOptions<AuthOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SigningKeyCache> _logger;
    private IKeyRingObserver? _reference;
    private KeyRingSnapshot _snapshot = KeyRingSnapshot.Empty;

    public SigningKeyCache(IGrainFactory grains, KeyEncryption encryption, IOptions<AuthOptions> options, TimeProvider time, ILogger<SigningKeyCache> logger)
    {
        _grains = grains;
        _encryption = encryption;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The published keys (for the JWKS and for verification).</summary>
    public async ValueTask<KeyRingSnapshot> GetAsync()
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot.SignerAt(_time.GetUtcNow()) is null)
        {
            // Never loaded, or the signer's period ended before the background refresh ran.
            snapshot = await RefreshAsync();
        }

        return snapshot;
    }

    /// <summary>Reloads the ring from its grain (which rotates it when due) and renews this node's subscription.</summary>
    public async Task<KeyRingSnapshot> RefreshAsync()
    {
        await _refreshLock.WaitAsync();
        try
        {
            // The grain holds the reference weakly through the runtime: this object keeps it, and itself, alive.
            _reference ??= _grains.CreateObjectReference<IKeyRingObserver>(this);
            var ring = await _grains.GetGrain<ISigningKeyGrain>(_options.Value.Issuer).Subscribe(_reference);
            return Apply(ring);
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>The grain's push. Never calls back into the grain: it is waiting for this answer.</summary>
    Task IKeyRingObserver.RingChanged(SigningKeyRingVersion ring)
    {
        Apply(ring);
        LogRingPushed(_logger, ring.Version);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Takes a ring unless a newer one is already in place: a poll answered just before a revocation may arrive after
    /// the revocation's push, and must not bring the revoked key back. Lock-free, because the push can come while a
    /// poll holds the refresh lock and waits for the grain, which waits for the push.
    /// </summary>
    private KeyRingSnapshot Apply(SigningKeyRingVersion ring)
    {
        while (true)
        {
            var current = Volatile.Read(ref _snapshot);
            if (ring.Version < current.Version || (ring.Version == current.Version && current.Keys.Count > 0))
            {
                return current;
            }

            // A known key keeps its decrypted key object but takes the new record: a rotation changes its period.
            var known = current.Keys.ToDictionary(k => k.KeyId);
            var keys = ring.Keys.Select(r => known.TryGetValue(r.KeyId, out var k) ? k with { Record = r } : SigningKey.Load(r, _encryption)).ToList();
            var next = new KeyRingSnapshot(keys, ring.Version);
            if (Interlocked.CompareExchange(ref _snapshot, next, current) == current)
            {
                return next;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = RefreshInterval;
            try
            {
                await RefreshAsync();
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Keep serving with the ring we have. Try again soon, not in a minute: in Client mode the first
                // load usually fails because the cluster is not reachable yet.
                LogRefreshFailed(_logger, exception.GetType().Name);
                next = RetryInterval;
            }

            try
            {
                await Task.Delay(next, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        // The reference is not deleted: the runtime that held it stops with the host, and the grain forgets a node
        // that does not answer.
        _refreshLock.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the signing key ring ({ExceptionType}); keeping the current one")]
    private static partial void LogRefreshFailed(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing key ring version {Version} pushed by its grain")]
    private static partial void LogRingPushed(ILogger logger, long version);
}

/// <summary>An immutable view of the ring at one refresh.</summary>
public sealed class KeyRingSnapshot(IReadOnlyList<SigningKey> keys, long version)
{
    public static KeyRingSnapshot Empty { get; } = new([], -1);

    /// <summary>The grain's <see cref="SigningKeyRingVersion.Version"/> of this ring.</summary>
    public long Version { get; } = version;

    public IReadOnlyList<SigningKey> Keys { get; } = keys;

    private readonly HashSet<string> _keyIds = [.. keys.Select(k => k.KeyId)];

    /// <summary>Whether the key is still published: a verified token stays valid only while its key is.</summary>
    public bool Publishes(string keyId) => _keyIds.Contains(keyId);

    public IReadOnlyList<SecurityKey> SecurityKeys { get; } = [.. keys.Select(k => k.SecurityKey)];

    public IReadOnlyList<string> Algorithms { get; } = [.. keys.Select(k => k.Algorithm).Distinct()];

    public SigningKey? SignerAt(DateTimeOffset now) =>
        Keys.FirstOrDefault(k => k.Record.SignsFrom <= now && now < k.Record.SignsUntil);
}
