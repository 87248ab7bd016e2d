using System.Text;
using AuthCluster.Api.Clients;
using AuthCluster.Api.Http;
using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Api.Endpoints;

/// <summary><c>POST /v1/auth/password/send-reset-email</c>.</summary>
public sealed record SendResetEmailRequest(string Email, long ShopId, string ResetUrl) : IJsonBody<SendResetEmailRequest>
{
    public void Validate(FieldChecks check)
    {
        check.Email("email", Email);
        check.PositiveId("shop_id", ShopId);
        check.Text("reset_url", ResetUrl, ResetUrlPolicy.MaxLength);
    }
}

/// <summary><c>PUT /v1/auth/password/update-by-hash</c>.</summary>
public sealed record UpdateByHashRequest(long ShopId, string Hash, string Password) : IJsonBody<UpdateByHashRequest>
{
    private const int MaxHashLength = 512;

    /// <summary>
    /// The new password in its normal form: the form the policy checks and the grain hashes. The customer's names and
    /// email are the grain's to know, so the reset grain checks those.
    /// </summary>
    public string Password { get; init; } = PasswordText.Normalize(Password);

    public void Validate(FieldChecks check)
    {
        check.PositiveId("shop_id", ShopId);
        // A hash of the wrong shape is simply not a valid hash (invalid_hash), not a malformed request.
        check.Text("hash", Hash, MaxHashLength);
        check.NewPassword("password", Password);
    }

    // Keeps the hash and the password out of ToString, and so out of any log line that formats the request.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("ShopId = ").Append(ShopId);
        return true;
    }
}
