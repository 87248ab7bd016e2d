using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AuthCluster.Grains.Interfaces.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Connections.Security;

namespace AuthCluster.Silo.Hosting;

/// <summary>
/// TLS with client certificates on the cluster's connections (<c>Cluster:Tls</c>): silo to silo, and client (API
/// node, admin command) to gateway. Every side presents the certificate in <c>tls.crt</c> and accepts a peer only
/// if the peer's certificate chains to <c>ca.crt</c>, so only holders of a certificate from the cluster's own CA
/// can call a grain. Outside Development an <c>AdoNet</c>-clustered node refuses to start without certificates
/// unless <c>Cluster:Tls:Disabled</c> says otherwise.
/// </summary>
public static class ClusterTls
{
    /// <summary>Silo side: inbound silo and gateway connections, and outbound connections to other silos.</summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, ClusterSettings cluster)
    {
        if (AddPolicy(silo.Services, cluster) is { } certificates)
        {
            silo.UseTls(certificates.Configure);
        }

        return silo;
    }

    /// <summary>Client side: connections to gateways.</summary>
    public static IClientBuilder UseClusterTls(this IClientBuilder client, ClusterSettings cluster)
    {
        if (AddPolicy(client.Services, cluster) is { } certificates)
        {
            client.UseTls(certificates.Configure);
        }

        return client;
    }

    /// <summary>
    /// Loads the certificates now (so that a missing or broken file stops the start with its name) and registers
    /// the start-up check; returns null when this node runs without TLS.
    /// </summary>
    private static ClusterCertificates? AddPolicy(IServiceCollection services, ClusterSettings cluster)
    {
        var certificates = cluster.Tls.IsConfigured ? ClusterCertificates.Load(cluster.Tls, TimeProvider.System) : null;
        // The settings this node was built with (its configuration, or what an admin command was given), checked on start.
        services.AddOptions<ClusterTlsSettings>().Configure(o =>
        {
            o.Directory = cluster.Tls.Directory;
            o.Disabled = cluster.Tls.Disabled;
            o.ReloadInterval = cluster.Tls.ReloadInterval;
        }).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterTlsSettings>>(sp => new ClusterTlsRequirement(
            cluster, certificates, sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<ILogger<ClusterTlsRequirement>>()));
        return certificates;
    }
}

/// <summary>
/// Runs once as the host starts, before any connection is opened (options validated on start): refuses a node
/// whose cluster traffic would be plain text where that is not allowed, and says in the log how this node's
/// cluster traffic is protected.
/// </summary>
internal sealed partial class ClusterTlsRequirement(
    ClusterSettings cluster,
    ClusterCertificates? certificates,
    IHostEnvironment environment,
    ILogger<ClusterTlsRequirement> logger) : IValidateOptions<ClusterTlsSettings>
{
    public ValidateOptionsResult Validate(string? name, ClusterTlsSettings options)
    {
        if (certificates is not null)
        {
            certificates.Logger = logger;
            var current = certificates.Current;
            LogTlsOn(logger, current.Subject, current.Thumbprint, current.NotAfter.ToUniversalTime());
            return ValidateOptionsResult.Success;
        }

        if (!cluster.UsesAdoNetClustering)
        {
            return ValidateOptionsResult.Success;
        }

        if (options.Disabled)
        {
            LogTlsDisabled(logger);
            return ValidateOptionsResult.Success;
        }

        if (environment.IsDevelopment())
        {
            LogTlsOffInDevelopment(logger);
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            "Cluster traffic must be encrypted: with Cluster:Clustering=AdoNet outside Development, set Cluster:Tls:Directory "
            + "to a directory holding tls.crt, tls.key and ca.crt (the layout cert-manager writes), or set Cluster:Tls:Disabled=true "
            + "to run without TLS on a network protected otherwise.");
    }
}

/// <summary>
/// The node's certificate, its intermediates and the cluster CA, read from a directory in cert-manager's layout.
/// The files are read again at most every <see cref="ClusterTlsSettings.ReloadInterval"/>, when a connection opens:
/// cert-manager renews the Secret and the kubelet swaps the mounted files, so new connections use the new
/// certificate without a restart (established connections keep theirs; TLS checks certificates at the handshake).
/// </summary>
internal sealed partial class ClusterCertificates
{
    private const string CertificateFile = "tls.crt";
    private const string KeyFile = "tls.key";
    private const string AuthorityFile = "ca.crt";

    private readonly string _directory;
    private readonly TimeSpan _reloadInterval;
    private readonly TimeProvider _time;
    private readonly Lock _reloading = new();
    private Snapshot _current;
    private long _checkedAt;

    private ClusterCertificates(string directory, TimeSpan reloadInterval, TimeProvider time, Snapshot first)
    {
        _directory = directory;
        _reloadInterval = reloadInterval;
        _time = time;
        _current = first;
        _checkedAt = time.GetTimestamp();
    }

    /// <summary>Where reloads are reported; set once the host's logging exists.</summary>
    public ILogger Logger { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>The certificate this node presents, reloaded if the files changed.</summary>
    public X509Certificate2 Current => Refreshed().Certificate;

    /// <summary>Reads the directory; throws with the directory and file named (never their contents) if it is unusable.</summary>
    public static ClusterCertificates Load(ClusterTlsSettings settings, TimeProvider time)
    {
        var directory = settings.Directory!;
        try
        {
            var files = ReadFiles(directory);
            return new ClusterCertificates(directory, settings.ReloadInterval, time, Parse(files, time));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"Cluster:Tls:Directory '{directory}' must hold {CertificateFile}, {KeyFile} and {AuthorityFile} in PEM: {exception.Message}", exception);
        }
    }

    /// <summary>Both ends require a certificate, and both present the current one.</summary>
    public void Configure(TlsOptions options)
    {
        options.LocalCertificate = Current;
        options.LocalServerCertificateSelector = (_, _) => Current;
        options.LocalClientCertificateSelector = (_, _, _, _, _) => Current;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;

        // The platform's verdict is not used: it judges the chain against the system's roots and the peer's name
        // against a host name. Peers are addressed by IP from the membership table; what makes one a member is a
        // certificate from the cluster's own CA.
        options.RemoteCertificateValidation = (certificate, chain, errors) =>
            !errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) && IsIssuedByClusterCa(certificate, chain);
    }

    /// <summary>Whether <paramref name="peer"/> chains to <c>ca.crt</c>, with intermediates the peer sent or we hold.</summary>
    public bool IsIssuedByClusterCa(X509Certificate2 peer, X509Chain? presented = null) => Chains(peer, Refreshed(), presented, _time);

    private static bool Chains(X509Certificate2 certificate, Snapshot trust, X509Chain? presented, TimeProvider time)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust.Authorities);
        chain.ChainPolicy.ExtraStore.AddRange(trust.Intermediates);
        if (presented is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }

        // A private CA publishes no revocation lists; short-lived certificates that rotate take their place. Nor
        // does a handshake fetch anything a peer's certificate points to: everything needed is local.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        return chain.Build(certificate);
    }

    private Snapshot Refreshed()
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _checkedAt)) < _reloadInterval)
        {
            return Volatile.Read(ref _current);
        }

        lock (_reloading)
        {
            if (_time.GetElapsedTime(_checkedAt) < _reloadInterval)
            {
                return _current;
            }

            Interlocked.Exchange(ref _checkedAt, _time.GetTimestamp());
            try
            {
                var files = ReadFiles(_directory);
                if (!files.Fingerprint.AsSpan().SequenceEqual(_current.Fingerprint))
                {
                    var next = Parse(files, _time);
                    Volatile.Write(ref _current, next);
                    LogReloaded(Logger, next.Certificate.Subject, next.Certificate.Thumbprint, next.Certificate.NotAfter.ToUniversalTime());
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                // Caught mid-swap (a new tls.crt with the old tls.key) or a broken renewal: keep the certificate that
                // works and try again at the next interval. The old one's certificates are not disposed: open
                // connections may still use them.
                LogReloadFailed(Logger, _directory, exception.Message);
            }

            return _current;
        }
    }

    private static Files ReadFiles(string directory)
    {
        var certificate = File.ReadAllText(Path.Combine(directory, CertificateFile));
        var key = File.ReadAllText(Path.Combine(directory, KeyFile));
        var authority = File.ReadAllText(Path.Combine(directory, AuthorityFile));
        var fingerprint = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(certificate + "\n" + key + "\n" + authority));
        return new Files(certificate, key, authority, fingerprint);
    }

    private static Snapshot Parse(Files files, TimeProvider time)
    {
        // The first certificate in tls.crt is the node's (CreateFromPem takes the first); any others are its chain.
        var certificate = X509Certificate2.CreateFromPem(files.Certificate, files.Key);
        var intermediates = new X509Certificate2Collection();
        intermediates.ImportFromPem(files.Certificate);
        intermediates.RemoveAt(0);
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPem(files.Authority);
        if (authorities.Count == 0)
        {
            throw new CryptographicException($"{AuthorityFile} holds no certificate.");
        }

        var snapshot = new Snapshot(certificate, intermediates, authorities, files.Fingerprint);
        if (!Chains(certificate, snapshot, presented: null, time))
        {
            // Peers would refuse this node anyway; saying so here names the cause.
            throw new CryptographicException(
                $"the certificate in {CertificateFile} ({certificate.Subject}, valid {certificate.NotBefore:u} to {certificate.NotAfter:u}) does not chain to {AuthorityFile} or is not valid now.");
        }

        return snapshot;
    }

    private sealed record Files(string Certificate, string Key, string Authority, byte[] Fingerprint);

    private sealed record Snapshot(X509Certificate2 Certificate, X509Certificate2Collection Intermediates, X509Certificate2Collection Authorities, byte[] Fingerprint);
}
