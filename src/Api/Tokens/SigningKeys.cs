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
        var pkcs8 = encryption.Decrypt(record.EncryptedPrivateKey, record.KeyId);
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
/// The API node's copy of the key ring. Loaded from the <see cref="ISigningKeyGrain"/> at start and
/// refreshed in the background, so signing and verifying never wait for a grain call.
/// </summary>
public sealed partial class SigningKeyCache(
    IGrainFactory grains,
    KeyEncryption encryption,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<SigningKeyCache> logger) : BackgroundService
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private volatile KeyRingSnapshot _snapshot = KeyRingSnapshot.Empty;

    /// <summary>The published keys (for the JWKS and for verification).</summary>
    public async ValueTask<KeyRingSnapshot> GetAsync()
    {
        var snapshot = _snapshot;
        if (snapshot.SignerAt(time.GetUtcNow()) is null)
        {
            // Never loaded, or the signer's period ended before the background refresh ran.
            snapshot = await RefreshAsync();
        }

        return snapshot;
    }

    /// <summary>Reloads the ring from its grain (which rotates it when due).</summary>
    public async Task<KeyRingSnapshot> RefreshAsync()
    {
        await _refreshLock.WaitAsync();
        try
        {
            var records = await grains.GetGrain<ISigningKeyGrain>(options.Value.Issuer).GetKeyRing();
            var known = _snapshot.Keys.ToDictionary(k => k.KeyId);
            var keys = records.Select(r => known.TryGetValue(r.KeyId, out var k) ? k : SigningKey.Load(r, encryption)).ToList();
            _snapshot = new KeyRingSnapshot(keys);
            return _snapshot;
        }
        finally
        {
            _refreshLock.Release();
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
                LogRefreshFailed(logger, exception.GetType().Name);
                next = RetryInterval;
            }

            try
            {
                await Task.Delay(next, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _refreshLock.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the signing key ring ({ExceptionType}); keeping the current one")]
    private static partial void LogRefreshFailed(ILogger logger, string exceptionType);
}

/// <summary>An immutable view of the ring at one refresh.</summary>
public sealed class KeyRingSnapshot(IReadOnlyList<SigningKey> keys)
{
    public static KeyRingSnapshot Empty { get; } = new([]);

    public IReadOnlyList<SigningKey> Keys { get; } = keys;

    public IReadOnlyList<SecurityKey> SecurityKeys { get; } = [.. keys.Select(k => k.SecurityKey)];

    public IReadOnlyList<string> Algorithms { get; } = [.. keys.Select(k => k.Algorithm).Distinct()];

    public SigningKey? SignerAt(DateTimeOffset now) =>
        Keys.FirstOrDefault(k => k.Record.SignsFrom <= now && now < k.Record.SignsUntil);
}
