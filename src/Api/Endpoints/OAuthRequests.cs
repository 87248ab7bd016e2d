using System.Text;
using AuthCluster.Api.Http;

namespace AuthCluster.Api.Endpoints;

/// <summary>
/// <c>POST /v1/oauth/token</c> (RFC 6749 §6). <see cref="ClientId"/> and <see cref="ClientSecret"/> are the
/// <c>client_secret_post</c> alternative to HTTP Basic; the binder authenticates with them.
/// </summary>
public sealed record TokenRequest(string GrantType, string? RefreshToken = null, string? ClientId = null, string? ClientSecret = null) : IRequestBody
{
    public const string RefreshTokenGrant = "refresh_token";

    public void Validate(FieldChecks check)
    {
        check.Required("grant_type");
        // Another grant type is unsupported_grant_type, whatever else the request holds.
        if (GrantType == RefreshTokenGrant)
        {
            check.Required("refresh_token");
        }
    }

    // Keeps the refresh token and the client secret out of ToString, and so out of any log line.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("GrantType = ").Append(GrantType);
        return true;
    }
}

/// <summary><c>POST /v1/oauth/introspect</c> (RFC 7662); client authentication as for <see cref="TokenRequest"/>.</summary>
public sealed record IntrospectionRequest(string Token, string? ClientId = null, string? ClientSecret = null) : IRequestBody
{
    public void Validate(FieldChecks check) => check.Required("token");

    private bool PrintMembers(StringBuilder builder) => false;
}

/// <summary>
/// <c>POST /v1/oauth/revoke</c> (RFC 7009); client authentication as for <see cref="TokenRequest"/>. The hint is
/// accepted and not needed: a refresh token and an access token are told apart by their form.
/// </summary>
public sealed record RevocationRequest(string Token, string? TokenTypeHint = null, string? ClientId = null, string? ClientSecret = null) : IRequestBody
{
    public void Validate(FieldChecks check) => check.Required("token");

    private bool PrintMembers(StringBuilder builder) => false;
}
