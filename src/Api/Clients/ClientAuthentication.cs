using AuthCluster.Api.Http;

namespace AuthCluster.Api.Clients;

/// <summary>Endpoint metadata: the caller of this endpoint is an API client, authenticated before anything else happens.</summary>
/// <param name="AcceptsBodyCredentials">
/// True on the OAuth endpoints, which also take <c>client_id</c>/<c>client_secret</c> from the body
/// (<c>client_secret_post</c>); without a Basic header those are authenticated where the body is read.
/// </param>
public sealed record ClientAuthenticationMetadata(bool AcceptsBodyCredentials)
{
    public static readonly ClientAuthenticationMetadata BasicOnly = new(false);
    public static readonly ClientAuthenticationMetadata BasicOrBody = new(true);
}

/// <summary>The request's authenticated client, set once per request by <see cref="ApiClientRegistry.Authenticate"/>.</summary>
internal sealed record AuthenticatedClient(ApiClient Client);

/// <summary>
/// Authenticates the API client before the rate limiter and before the body is read, so that limits can be keyed by
/// client and a request that fails authentication is answered (<c>401</c>, or <c>429</c> past the per-address limit
/// of failures) without touching any customer's bucket and without parsing its body.
/// </summary>
public static class ClientAuthentication
{
    public static Task Authenticate(HttpContext context, Func<Task> next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<ClientAuthenticationMetadata>() is { } metadata
            && (!metadata.AcceptsBodyCredentials || HasBasicCredentials(context.Request)))
        {
            // Throws the contract's error (caught by the exception handler) when authentication fails.
            context.RequestServices.GetRequiredService<ApiClientRegistry>().Authenticate(context.Request, formFields: null);
        }

        return next();
    }

    /// <summary>The client this request authenticated as, if it did.</summary>
    public static ApiClient? ClientOf(HttpContext context) => context.Features.Get<AuthenticatedClient>()?.Client;

    /// <summary>The connection's remote network (IPv6 by /64), the key of the limit on failed client authentication.</summary>
    public static string RemoteNetworkOf(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address ? CustomerContext.NetworkOf(address) : "unknown";

    private static bool HasBasicCredentials(HttpRequest request) =>
        request.Headers.Authorization.ToString().TrimStart().StartsWith("Basic", StringComparison.OrdinalIgnoreCase);
}
