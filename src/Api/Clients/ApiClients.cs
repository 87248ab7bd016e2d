using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using AuthCluster.Api.Hosting;
using AuthCluster.Api.Http;
using AuthCluster.Grains.Interfaces;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace AuthCluster.Api.Clients;

/// <summary>One configured API client (<c>Auth:Clients:N</c>).</summary>
public sealed class ApiClientOptions
{
    public string ClientId { get; set; } = "";

    /// <summary>The secret in plain text (at least 32 characters outside Development); prefer <see cref="SecretSha256"/>.</summary>
    public string? Secret { get; set; }

    /// <summary>Hex SHA-256 of the secret.</summary>
    public string? SecretSha256 { get; set; }

    public List<long> ShopIds { get; set; } = [];

    /// <summary>
    /// Origins (<c>https://shop.example</c>) allowed in <c>reset_url</c>. Empty (the default): the client may not send
    /// reset links at all, so a client that passes user input through cannot mail live reset hashes to anyone's site.
    /// </summary>
    public List<string> ResetUrlOrigins { get; set; } = [];
}

public sealed class ClientsOptions
{
    public List<ApiClientOptions> Clients { get; set; } = [];
}

/// <summary>An authenticated API client.</summary>
public sealed record ApiClient(string ClientId, IReadOnlySet<long> ShopIds, IReadOnlyList<string> ResetUrlOrigins) : IEndpointParameterMetadataProvider
{
    /// <summary>
    /// The client of a client-auth endpoint with a JSON body: <see cref="ClientAuthentication"/> authenticated it
    /// (<c>client_secret_basic</c>) before the rate limiter; this returns that result.
    /// </summary>
    public static ValueTask<ApiClient> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.RequestServices.GetRequiredService<ApiClientRegistry>().Authenticate(context.Request, formFields: null));

    /// <summary>Marks the endpoint as client-authenticated, so that authentication runs before the rate limiter.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder) =>
        builder.Metadata.Add(ClientAuthenticationMetadata.BasicOnly);

    public void EnsureShop(long shopId)
    {
        if (!ShopIds.Contains(shopId))
        {
            throw new ApiException(ApiErrors.ShopNotAllowed());
        }
    }

    public ClientContext For(CustomerContext customer) => new(ClientId, customer.Ip, customer.UserAgent);
}

/// <summary>
/// The configured clients. Secrets are kept only as SHA-256 digests and compared in constant time; an unknown
/// client id costs the same comparison as a known one. Failed authentications are counted per remote address
/// (<c>RateLimiting:FailedClientAuthentication</c>): past the limit they answer <c>429</c> instead of <c>401</c>.
/// The set follows its configuration source without a restart (a mounted Secret, an appsettings file): a changed set
/// is validated as at start and takes effect for the next request; an invalid one is refused and the current set kept.
/// </summary>
/// <remarks>
/// A request with valid credentials is never refused by that limit, even from an address over it: shop backends
/// may share an address with strangers (a NAT, an ingress), and someone else's failures must not lock a shop out.
/// Guessing a secret is prevented by its strength (at least 32 characters, or a SHA-256 of a random one, outside
/// Development), not by this limit; the limit keeps floods of bad credentials cheap, loud and bounded.
/// </remarks>
public sealed partial class ApiClientRegistry : IDisposable
{
    private static readonly byte[] NoSuchClient = SHA256.HashData(RandomNumberGenerator.GetBytes(32));
    private static readonly (string Id, string Secret) Malformed = ("", "");
    private readonly IOptionsFactory<ClientsOptions> _factory;
    private readonly IDisposable _reload;
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly WindowLimit _failureLimit;
    private readonly AuthMetrics _metrics;
    private readonly SecurityLog _security;
    private readonly ILogger _securityEvents;
    private readonly Lock _reloadLock = new();
    private volatile ClientSet _clients;

    public ApiClientRegistry(
        IOptions<ClientsOptions> options,
        IOptionsFactory<ClientsOptions> factory,
        IConfiguration configuration,
        RateLimitSettings limits,
        AuthMetrics metrics,
        SecurityLog security,
        ILoggerFactory loggers)
    {
        // The set validated at start (ValidateOnStart); later sets come from the factory, which validates them the same way.
        _clients = new ClientSet(options.Value);
        _factory = factory;
        _failureLimit = limits.FailedClientAuthentication;
        _failures = PartitionedRateLimiter.Create<string, string>(
            network => RateLimitPartition.GetFixedWindowLimiter(network, _ => _failureLimit.ToOptions()), StringComparer.Ordinal);
        _metrics = metrics;
        _security = security;
        _securityEvents = loggers.CreateLogger(SecurityEvents.Category);

        // Not IOptionsMonitor.OnChange: the monitor validates inside the configuration's change callback and, on an
        // invalid set, throws there (and from then on from every read); here an invalid set is caught, logged and
        // refused while the current one stays. ClientsOptions is therefore bound without a change-token source.
        _reload = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    public IEnumerable<string> ClientIds => _clients.Clients.Keys;

    /// <summary>
    /// Authenticates by HTTP Basic (RFC 6749 §2.3.1: id and secret form-url-encoded inside) or, where the
    /// endpoint passes its form fields, by <c>client_id</c>/<c>client_secret</c> in the body. Once per request:
    /// later calls return the client the first one authenticated.
    /// </summary>
    public ApiClient Authenticate(HttpRequest request, IReadOnlyDictionary<string, string>? formFields)
    {
        var context = request.HttpContext;
        if (context.Features.Get<AuthenticatedClient>() is { } authenticated)
        {
            return authenticated.Client;
        }

        var credentials = ReadBasic(request) ?? ReadPost(formFields);
        if (credentials is { } given && Verify(given.Id, given.Secret) is { } client)
        {
            context.Features.Set(new AuthenticatedClient(client));
            return client;
        }

        throw Refuse(context, credentials?.Id);
    }

    public void Dispose()
    {
        _reload.Dispose();
        _failures.Dispose();
    }

    /// <summary>Builds, validates and swaps in the configured set; refuses an invalid one and keeps the current.</summary>
    private void Reload()
    {
        // Change notifications may overlap (a file written in several steps); one reload at a time keeps them ordered.
        lock (_reloadLock)
        {
            ClientSet next;
            try
            {
                next = new ClientSet(_factory.Create(Options.DefaultName));
            }
            catch (OptionsValidationException exception)
            {
                // The failures name settings and client ids, never a secret.
                LogClientsRejected(_securityEvents, _clients.Clients.Count, string.Join(" ", exception.Failures));
                return;
            }
            catch (Exception exception) when (exception is InvalidOperationException or FormatException)
            {
                // A value that does not bind (a shop id that is not a number); the binder's message may quote the value.
                LogClientsRejected(_securityEvents, _clients.Clients.Count, $"the configuration could not be read ({exception.GetType().Name}).");
                return;
            }

            var current = _clients;
            var added = next.Clients.Keys.Except(current.Clients.Keys).Order(StringComparer.Ordinal).ToList();
            var removed = current.Clients.Keys.Except(next.Clients.Keys).Order(StringComparer.Ordinal).ToList();
            var changed = next.Clients.Keys.Intersect(current.Clients.Keys)
                .Where(id => !ClientSet.Same(current.Clients[id], next.Clients[id])).Order(StringComparer.Ordinal).ToList();
            if (added.Count + removed.Count + changed.Count == 0)
            {
                // Configuration reloads for any change of its sources; this one did not touch the clients.
                return;
            }

            _clients = next;
            LogClientsReloaded(_securityEvents, next.Clients.Count, List(added), List(removed), List(changed));
        }

        static string List(IReadOnlyList<string> ids) => ids.Count == 0 ? "-" : string.Join(", ", ids);
    }

    internal static byte[] Digest(ApiClientOptions client) =>
        client.SecretSha256 is { Length: > 0 } hex
            ? Convert.FromHexString(hex)
            : SHA256.HashData(Encoding.UTF8.GetBytes(client.Secret ?? ""));

    private ApiClient? Verify(string id, string secret)
    {
        var known = _clients.Clients.TryGetValue(id, out var entry);
        var matches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(secret)), known ? entry.Digest : NoSuchClient);
        return known && matches ? entry.Client : null;
    }

    private ApiException Refuse(HttpContext context, string? claimedId)
    {
        var network = ClientAuthentication.RemoteNetworkOf(context);
        var knownId = claimedId is not null && _clients.Clients.ContainsKey(claimedId) ? claimedId : null;
        using var lease = _failures.AttemptAcquire(network);
        if (lease.IsAcquired)
        {
            _metrics.ClientAuthenticationFailed("invalid_client");
            _security.ClientAuthenticationFailed("invalid_client", knownId, network);
            return new ApiException(ApiErrors.InvalidClient());
        }

        _metrics.ClientAuthenticationFailed("throttled");
        _metrics.RateLimitedRequest("failed-client-authentication");
        _security.ClientAuthenticationFailed("throttled", knownId, network);
        return new ApiException(ApiErrors.TooManyAttempts(
            lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : _failureLimit.Window));
    }

    /// <summary>The Basic credentials; <see cref="Malformed"/> (never a client) for an unreadable Basic header.</summary>
    private static (string Id, string Secret)? ReadBasic(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (header.Parameter is null)
        {
            return Malformed;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon <= 0
                ? Malformed
                : (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')));
        }
        catch (FormatException)
        {
            return Malformed;
        }
    }

    private static (string Id, string Secret)? ReadPost(IReadOnlyDictionary<string, string>? fields) =>
        fields is not null && fields.TryGetValue("client_id", out var id) && fields.TryGetValue("client_secret", out var secret)
            ? (id, secret)
            : null;

    /// <summary>One configured set of clients, swapped as a whole so that a request sees either the old set or the new.</summary>
    private sealed class ClientSet(ClientsOptions options)
    {
        public Dictionary<string, (byte[] Digest, ApiClient Client)> Clients { get; } = options.Clients.ToDictionary(
            c => c.ClientId,
            c => (Digest(c), new ApiClient(c.ClientId, c.ShopIds.ToHashSet(), [.. c.ResetUrlOrigins.Select(o => o.TrimEnd('/'))])),
            StringComparer.Ordinal);

        public static bool Same((byte[] Digest, ApiClient Client) a, (byte[] Digest, ApiClient Client) b) =>
            a.Digest.AsSpan().SequenceEqual(b.Digest)
            && a.Client.ShopIds.SetEquals(b.Client.ShopIds)
            && a.Client.ResetUrlOrigins.SequenceEqual(b.Client.ResetUrlOrigins);
    }
}

/// <summary>
/// Refuses to start without clients outside Development; in Development, with none configured, adds a
/// well-known development client so that the README walk-through works as written.
/// </summary>
internal sealed class ClientsSetup(IHostEnvironment environment) : IConfigureOptions<ClientsOptions>, IValidateOptions<ClientsOptions>
{
    public const string DevelopmentClientId = "dev-client";
    public const string DevelopmentSecret = "dev-secret";
    public const long DevelopmentShopId = 1;

    /// <summary>Shortest plain <c>Secret</c> accepted outside Development.</summary>
    public const int MinSecretLength = 32;

    public void Configure(ClientsOptions options)
    {
        if (options.Clients.Count == 0 && environment.IsDevelopment())
        {
            options.Clients.Add(new ApiClientOptions
            {
                ClientId = DevelopmentClientId,
                Secret = DevelopmentSecret,
                ShopIds = [DevelopmentShopId],
                ResetUrlOrigins = ["http://localhost:3000", "https://localhost:3000"],
            });
        }
    }

    public ValidateOptionsResult Validate(string? name, ClientsOptions options)
    {
        var errors = new List<string>();
        if (options.Clients.Count == 0)
        {
            errors.Add("Auth:Clients: at least one API client must be configured outside Development.");
        }

        foreach (var client in options.Clients)
        {
            if (string.IsNullOrWhiteSpace(client.ClientId))
            {
                errors.Add("Auth:Clients: every client needs a ClientId.");
            }

            if (string.IsNullOrEmpty(client.Secret) && client.SecretSha256 is not { Length: 64 })
            {
                errors.Add($"Auth:Clients '{client.ClientId}': Secret or SecretSha256 (64 hex digits) is required.");
            }

            // A plain secret is only as strong as its length; outside Development it must resist offline and online
            // guessing on its own (failed authentication is limited per address, but not per client: see ApiClientRegistry).
            if (string.IsNullOrEmpty(client.SecretSha256) && client.Secret is { Length: > 0 and < MinSecretLength } && !environment.IsDevelopment())
            {
                errors.Add($"Auth:Clients '{client.ClientId}': outside Development the secret must be at least {MinSecretLength} characters (or give SecretSha256).");
            }

            if (client.SecretSha256 is { Length: > 0 } hex && !IsHexDigest(hex))
            {
                errors.Add($"Auth:Clients '{client.ClientId}': SecretSha256 must be 64 hex digits.");
            }

            if (client.ShopIds.Count == 0)
            {
                errors.Add($"Auth:Clients '{client.ClientId}': ShopIds must list at least one shop.");
            }
        }

        if (options.Clients.GroupBy(c => c.ClientId, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            errors.Add("Auth:Clients: client ids must be unique.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsHexDigest(string hex) => hex.Length == 64 && hex.All(char.IsAsciiHexDigit);
}
