using AuthCluster.Api.Http;
using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Api.Hosting;

/// <summary>
/// The API's half of the security event log (category <see cref="SecurityEvents.Category"/>): logins, registrations,
/// guest logins, logouts, failed client authentication and rate-limit rejections, each with the client, the customer
/// id (or, where there is no account to name, a masked email) and the customer IP. Never a password, token, hash,
/// secret or full email address: the request bodies that carry them are not in reach of these methods.
/// </summary>
public sealed partial class SecurityLog(ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger(SecurityEvents.Category);

    public void LoginSucceeded(string clientId, long shopId, Guid customerId, CustomerContext customer) =>
        LogLoginSucceeded(_logger, "success", clientId, shopId, customerId, customer.Ip);

    /// <summary>A refused login (<paramref name="outcome"/> is the error code); the email only masked, as no account is named.</summary>
    public void LoginFailed(string outcome, string clientId, long shopId, string email, CustomerContext customer) =>
        LogLoginFailed(_logger, outcome, clientId, shopId, MaskEmail(email), customer.Ip);

    public void Registered(string clientId, long shopId, Guid customerId, CustomerContext customer) =>
        LogRegistration(_logger, "registered", clientId, shopId, customerId, customer.Ip);

    public void RegistrationRefused(string clientId, long shopId, string email, CustomerContext customer) =>
        LogRegistrationRefused(_logger, "email_taken", clientId, shopId, MaskEmail(email), customer.Ip);

    public void GuestLoggedIn(string clientId, long shopId, Guid guestId, CustomerContext customer) =>
        LogGuestLogin(_logger, "success", clientId, shopId, guestId, customer.Ip);

    public void LoggedOut(string clientId, long shopId, Guid customerId, Guid sessionId, LogoutScope scope, CustomerContext customer) =>
        LogLogout(_logger, "success", clientId, shopId, customerId, sessionId, scope.ToString().ToLowerInvariant(), customer.Ip);

    /// <summary>
    /// Failed client authentication from <paramref name="remoteAddress"/>. The claimed client id is logged only when
    /// it is a configured one: a shop that swapped id and secret would otherwise put its secret in the log.
    /// </summary>
    public void ClientAuthenticationFailed(string outcome, string? knownClientId, string remoteAddress) =>
        LogClientAuthenticationFailed(_logger, outcome, knownClientId ?? "-", remoteAddress);

    public void RateLimited(string limit, string clientId, string? customerNetwork, PathString path) =>
        LogRateLimited(_logger, "too_many_attempts", limit, clientId, customerNetwork ?? "-", path.Value ?? "");

    /// <summary>
    /// <c>k***@example.com</c>: enough to see which domain a wave of failures aims at and to tell two addresses
    /// apart by their first letter, too little to name the person.
    /// </summary>
    public static string MaskEmail(string email)
    {
        var trimmed = email.Trim();
        var at = trimmed.LastIndexOf('@');
        if (at <= 0 || at == trimmed.Length - 1)
        {
            return "***";
        }

        var first = char.IsSurrogate(trimmed[0]) ? "" : trimmed[..1];
        return first + "***@" + trimmed[(at + 1)..].ToLowerInvariant();
    }
}
