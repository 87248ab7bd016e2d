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
/// </summary>
/// <remarks>
/// A request with valid credentials is never refused by that limit, even from an address over it: shop backends
/// may share an address with strangers (a NAT, an ingress), and someone else's failures must not lock a shop out.
/// Guessing a secret is prevented by its strength (at least 32 characters, or a SHA-256 of a random one, outside
/// Development), not by this limit; the limit keeps floods of bad credentials cheap, loud and bounded.
/// </remarks>
public sealed class ApiClientRegistry : IDisposable
{
    private static readonly byte[] NoSuchClient = SHA256.HashData(RandomNumberGenerator.GetBytes(32));
    private static readonly (string Id, string Secret) Malformed = ("", "");
    private readonly Dictionary<string, (byte[] Digest, ApiClient Client)> _clients;
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly WindowLimit _failureLimit;
    private readonly AuthMetrics _metrics;
    private readonly SecurityLog _security;

    public ApiClientRegistry(IOptions<ClientsOptions> options, RateLimitSettings limits, AuthMetrics metrics, SecurityLog security)
    {
        _clients = options.Value.Clients.ToDictionary(
            c => c.ClientId,
            c => (Digest(c), new ApiClient(c.ClientId, c.ShopIds.ToHashSet(), [.. c.ResetUrlOrigins.Select(o => o.TrimEnd('/'))])),
            StringComparer.Ordinal);
        _failureLimit = limits.FailedClientAuthentication;
        _failures = PartitionedRateLimiter.Create<string, string>(
            network => RateLimitPartition.GetFixedWindowLimiter(network, _ => _failureLimit.ToOptions()), StringComparer.Ordinal);
        _metrics = metrics;
        _security = security;
    }

    public IEnumerable<string> ClientIds => _clients.Keys;

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

    public void Dispose() => _failures.Dispose();

    internal static byte[] Digest(ApiClientOptions client) =>
        client.SecretSha256 is { Length: > 0 } hex
            ? Convert.FromHexString(hex)
            : SHA256.HashData(Encoding.UTF8.GetBytes(client.Secret ?? ""));

    private ApiClient? Verify(string id, string secret)
    {
        var known = _clients.TryGetValue(id, out var entry);
        var matches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(secret)), known ? entry.Digest : NoSuchClient);
        return known && matches ? entry.Client : null;
    }

    private ApiException Refuse(HttpContext context, string? claimedId)
    {
        var network = ClientAuthentication.RemoteNetworkOf(context);
        var knownId = claimedId is not null && _clients.ContainsKey(claimedId) ? claimedId : null;
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
