using System.Text;
using AuthCluster.Api.Http;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Api.Endpoints;

/// <summary><c>POST /v1/auth/register</c>.</summary>
public sealed record RegisterRequest(string FirstName, string LastName, string Email, string Password, long ShopId, string? Gender = null)
    : IJsonBody<RegisterRequest>
{
    /// <summary>The password in its normal form: the form the policy checks and the grain hashes.</summary>
    public string Password { get; init; } = PasswordText.Normalize(Password);

    public void Validate(FieldChecks check)
    {
        check.Name("first_name", FirstName);
        check.Name("last_name", LastName);
        check.Email("email", Email);
        check.OneOf("gender", Gender, "m", "f", "d");
        check.NewPassword("password", Password, PasswordPolicy.ContextWords(Email, FirstName, LastName));
        check.PositiveId("shop_id", ShopId);
    }

    public Profile ToProfile() => new(FirstName.Trim(), LastName.Trim(), Email.Trim(), Gender);

    // Keeps the password out of ToString, and so out of any log line or exception that formats the request.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("ShopId = ").Append(ShopId);
        return true;
    }
}

/// <summary>
/// <c>POST /v1/auth/login</c>. The password goes to the grain as typed: it verifies the
/// <see cref="PasswordText.LoginCandidates">normalized form first, then the typed one</see>, which a hash made
/// before normalization holds.
/// </summary>
public sealed record LoginRequest(string Email, string Password, long ShopId) : IJsonBody<LoginRequest>
{
    public void Validate(FieldChecks check)
    {
        check.Email("email", Email);
        check.Password("password", Password);
        check.PositiveId("shop_id", ShopId);
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("ShopId = ").Append(ShopId);
        return true;
    }
}

/// <summary><c>POST /v1/auth/login/guest</c>.</summary>
public sealed record GuestLoginRequest(string FirstName, string LastName, string Email, long ShopId, string? Gender = null)
    : IJsonBody<GuestLoginRequest>
{
    public void Validate(FieldChecks check)
    {
        check.Name("first_name", FirstName);
        check.Name("last_name", LastName);
        check.Email("email", Email);
        check.OneOf("gender", Gender, "m", "f", "d");
        check.PositiveId("shop_id", ShopId);
    }

    public Profile ToProfile() => new(FirstName.Trim(), LastName.Trim(), Email.Trim(), Gender);
}

/// <summary><c>POST /v1/auth/logout</c>; the body may be left out (scope <c>local</c>).</summary>
public sealed record LogoutRequest(string? Scope = null) : IJsonBody<LogoutRequest>
{
    static bool IJsonBody<LogoutRequest>.IsOptional => true;

    public void Validate(FieldChecks check) => check.OneOf("scope", Scope, "local", "others", "global");

    public LogoutScope ToScope() => Scope switch
    {
        "others" => LogoutScope.Others,
        "global" => LogoutScope.Global,
        _ => LogoutScope.Local,
    };
}
