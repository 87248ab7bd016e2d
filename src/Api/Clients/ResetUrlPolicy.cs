namespace AuthCluster.Api.Clients;

/// <summary>
/// What a client may pass as <c>reset_url</c>. The link goes into an email with a live secret in it, so it must
/// lead where the client's shop is (its configured origins), over https (plain http only for local development),
/// with the secret outside the host part. It is never derived from the request's Host header. Deny by default: a
/// client with no configured origins may not send reset links at all.
/// </summary>
public static class ResetUrlPolicy
{
    public const string Placeholder = "{hash}";
    public const int MaxLength = 2048;

    public static bool IsAllowed(string resetUrl, IReadOnlyList<string> allowedOrigins)
    {
        if (!resetUrl.Contains(Placeholder, StringComparison.Ordinal)
            || resetUrl.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            || !TryParse(resetUrl, "h", out var uri)
            || !TryParse(resetUrl, "x", out var other))
        {
            return false;
        }

        var origin = Origin(uri);

        // A placeholder in the authority would send the secret to whatever host it spells (and to DNS).
        if (origin != Origin(other) || uri.UserInfo.Length > 0)
        {
            return false;
        }

        var transportOk = uri.Scheme == Uri.UriSchemeHttps
            || (uri.Scheme == Uri.UriSchemeHttp && uri.Host is "localhost" or "127.0.0.1" or "[::1]");
        if (!transportOk)
        {
            return false;
        }

        return allowedOrigins.Any(o => Uri.TryCreate(o, UriKind.Absolute, out var allowed) && string.Equals(Origin(allowed), origin, StringComparison.OrdinalIgnoreCase));
    }

    // Braces are not valid URL characters: parse with a stand-in for the hash.
    private static bool TryParse(string resetUrl, string sample, out Uri uri) =>
        Uri.TryCreate(resetUrl.Replace(Placeholder, sample, StringComparison.Ordinal), UriKind.Absolute, out uri!)
        && uri.Scheme is "http" or "https"
        && uri.Host.Length > 0;

    /// <summary>scheme://host[:port], the default port left out, lower-case.</summary>
    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
}
