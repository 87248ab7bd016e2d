using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AuthCluster.Api.Http;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;

namespace AuthCluster.Api.Clients;

/// <summary>One configured API client (<c>Auth:Clients:N</c>).</summary>
public sealed class ApiClientOptions
{
    public string ClientId { get; set; } = "";

    /// <summary>The secret in plain text; prefer <see cref="SecretSha256"/> in production configuration.</summary>
    public string? Secret { get; set; }

    /// <summary>Hex SHA-256 of the secret.</summary>
    public string? SecretSha256 { get; set; }

    public List<long> ShopIds { get; set; } = [];

    /// <summary>Origins (<c>https://shop.example</c>) allowed in <c>reset_url</c>; empty allows any.</summary>
    public List<string> ResetUrlOrigins { get; set; } = [];
}

public sealed class ClientsOptions
{
    public List<ApiClientOptions> Clients { get; set; } = [];
}

/// <summary>An authenticated API client.</summary>
public sealed record ApiClient(string ClientId, IReadOnlySet<long> ShopIds, IReadOnlyList<string> ResetUrlOrigins)
{
    /// <summary>Authenticates <c>client_secret_basic</c>; the binder of every client-auth endpoint with a JSON body.</summary>
    public static ValueTask<ApiClient> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.RequestServices.GetRequiredService<ApiClientRegistry>().Authenticate(context.Request, formFields: null));

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
/// The configured clients. Secrets are kept only as SHA-256 digests and compared in constant time;
/// an unknown client id costs the same comparison as a known one.
/// </summary>
public sealed class ApiClientRegistry
{
    private static readonly byte[] NoSuchClient = SHA256.HashData(RandomNumberGenerator.GetBytes(32));
    private readonly Dictionary<string, (byte[] Digest, ApiClient Client)> _clients;

    public ApiClientRegistry(IOptions<ClientsOptions> options)
    {
        _clients = options.Value.Clients.ToDictionary(
            c => c.ClientId,
            c => (Digest(c), new ApiClient(c.ClientId, c.ShopIds.ToHashSet(), [.. c.ResetUrlOrigins.Select(o => o.TrimEnd('/'))])),
            StringComparer.Ordinal);
    }

    public IEnumerable<string> ClientIds => _clients.Keys;

    /// <summary>
    /// Authenticates by HTTP Basic (RFC 6749 §2.3.1: id and secret form-url-encoded inside) or, where the
    /// endpoint passes its form fields, by <c>client_id</c>/<c>client_secret</c> in the body.
    /// </summary>
    public ApiClient Authenticate(HttpRequest request, IReadOnlyDictionary<string, string>? formFields)
    {
        var (id, secret) = ReadBasic(request) ?? ReadPost(formFields) ?? throw new ApiException(ApiErrors.InvalidClient());
        var known = _clients.TryGetValue(id, out var entry);
        var matches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(secret)), known ? entry.Digest : NoSuchClient);
        return known && matches ? entry.Client : throw new ApiException(ApiErrors.InvalidClient());
    }

    internal static byte[] Digest(ApiClientOptions client) =>
        client.SecretSha256 is { Length: > 0 } hex
            ? Convert.FromHexString(hex)
            : SHA256.HashData(Encoding.UTF8.GetBytes(client.Secret ?? ""));

    private static (string Id, string Secret)? ReadBasic(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon <= 0
                ? throw new ApiException(ApiErrors.InvalidClient())
                : (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')));
        }
        catch (FormatException)
        {
            throw new ApiException(ApiErrors.InvalidClient());
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

            if (client.Secret is { Length: > 0 and < 16 } && !environment.IsDevelopment())
            {
                errors.Add($"Auth:Clients '{client.ClientId}': the secret must be at least 16 characters outside Development.");
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
}
