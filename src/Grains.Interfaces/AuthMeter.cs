using System.Diagnostics.Metrics;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// AuthCluster's own instruments (meter <c>AuthCluster</c>), recorded where the event happens: API nodes count what
/// they answer, grains what they decide (a reuse detection, a revocation, an email delivery attempt). OpenTelemetry
/// exports the meter over OTLP; the management listener's <c>/metrics</c> shows each counter under its Prometheus
/// name (<see cref="PrometheusName"/>).
/// </summary>
/// <remarks>
/// Every tag has a small, fixed set of values (an outcome, a reason, a configured client id): never an email, token,
/// customer or session id, which would make one time series per customer and leak who is active. Static rather
/// than from <c>IMeterFactory</c>: grains record without another constructor parameter, and a process (an API node
/// with its embedded silo, say) exports one set of series however many hosts it runs.
/// </remarks>
public static class AuthMeter
{
    public const string Name = "AuthCluster";

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Logins = Meter.CreateCounter<long>(
        "authcluster.logins", description: "Login attempts by outcome (success, invalid_credentials, throttled).");

    public static readonly Counter<long> Registrations = Meter.CreateCounter<long>(
        "authcluster.registrations", description: "Registration attempts by outcome (registered, email_taken).");

    public static readonly Counter<long> PasswordResets = Meter.CreateCounter<long>(
        "authcluster.password_resets", description: "Password reset steps by outcome (requested, success, invalid_hash).");

    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>(
        "authcluster.rate_limited", description: "Requests rejected by a rate limit (customer-ip, password-reset-ip, per-client, failed-client-authentication).");

    public static readonly Counter<long> RequestsWithoutCustomerIp = Meter.CreateCounter<long>(
        "authcluster.requests_without_customer_ip", description: "Rate-limited requests whose client forwarded no X-Customer-IP (they count against the per-client limit).");

    public static readonly Counter<long> ClientAuthenticationFailures = Meter.CreateCounter<long>(
        "authcluster.client_authentication_failures", description: "Failed client authentications by outcome (invalid_client, throttled).");

    public static readonly Counter<long> Validations = Meter.CreateCounter<long>(
        "authcluster.validations", description: "Access-token validations by outcome (active, invalid_token, inactive_session).");

    public static readonly Counter<long> SessionRevocations = Meter.CreateCounter<long>(
        "authcluster.session_revocations", description: "Sessions revoked, by reason (logout, refresh_token_reuse, password_changed, session_limit, deleted, revoked_by_client).");

    public static readonly Counter<long> RefreshReuseDetections = Meter.CreateCounter<long>(
        "authcluster.refresh_reuse_detections", description: "Refresh tokens presented again after rotation; each revokes its session.");

    public static readonly Counter<long> EmailDeliveries = Meter.CreateCounter<long>(
        "authcluster.email_deliveries", description: "Email delivery attempts by outcome (sent; failed: retried with back-off; rejected: refused for good).");

    /// <summary>
    /// The name a counter has on <c>/metrics</c>: dots become underscores and counters end in <c>_total</c>, as
    /// OpenTelemetry's Prometheus conventions have it, so a dashboard works on either path.
    /// </summary>
    public static string PrometheusName(Instrument instrument) => instrument.Name.Replace('.', '_') + "_total";

    public static void LoggedIn(LoginOutcome outcome) => Logins.Add(1, Outcome(outcome switch
    {
        LoginOutcome.Success => "success",
        LoginOutcome.Throttled => "throttled",
        _ => "invalid_credentials",
    }));

    public static void Validated(string outcome) => Validations.Add(1, Outcome(outcome));

    /// <summary>A session was revoked (after the revocation was stored); a reuse detection is also counted as one.</summary>
    public static void SessionRevoked(RevocationReason reason)
    {
        SessionRevocations.Add(1, new KeyValuePair<string, object?>("reason", reason switch
        {
            RevocationReason.Logout => "logout",
            RevocationReason.RefreshTokenReuse => "refresh_token_reuse",
            RevocationReason.PasswordChanged => "password_changed",
            RevocationReason.SessionLimit => "session_limit",
            RevocationReason.Deleted => "deleted",
            RevocationReason.RevokedByClient => "revoked_by_client",
            _ => "other",
        }));
        if (reason == RevocationReason.RefreshTokenReuse)
        {
            RefreshReuseDetections.Add(1);
        }
    }

    public static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);
}
