using Microsoft.AspNetCore.Diagnostics;

namespace AuthCluster.Api.Http;

/// <summary>
/// Marks the OAuth endpoints (token, introspection, revocation), whose errors RFC 6749 §5.2 requires as
/// <c>application/json</c>: stock OAuth clients refuse <c>application/problem+json</c> there. The members stay the
/// contract's, so one reader handles both.
/// </summary>
public sealed class OAuthErrors
{
    public const string MediaType = "application/json";

    /// <summary>The endpoint metadata: <c>.WithMetadata(OAuthErrors.Metadata)</c>.</summary>
    public static readonly OAuthErrors Metadata = new();

    private OAuthErrors()
    {
    }

    /// <summary>Whether the request being answered went to an OAuth endpoint (also once the exception handler runs).</summary>
    public static bool Apply(HttpContext context) =>
        (context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint)
            ?.Metadata.GetMetadata<OAuthErrors>() is not null;
}
