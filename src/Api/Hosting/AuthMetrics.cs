using AuthCluster.Grains.Interfaces;
using Prometheus;

namespace AuthCluster.Api.Hosting;

/// <summary>Business counters for <c>/metrics</c>; request rates and latencies come from the HTTP middleware.</summary>
public sealed class AuthMetrics
{
    private static readonly Counter Logins = Metrics.CreateCounter(
        "authcluster_logins_total", "Login attempts by outcome (success, invalid_credentials, throttled).", "outcome");

    private static readonly Counter Registrations = Metrics.CreateCounter(
        "authcluster_registrations_total", "Registration attempts by outcome (registered, email_taken).", "outcome");

    private static readonly Counter RateLimited = Metrics.CreateCounter(
        "authcluster_rate_limited_total", "Requests rejected by a rate limit (customer-ip, password-reset-ip, per-client, failed-client-authentication).", "limit");

    private static readonly Counter WithoutCustomerIp = Metrics.CreateCounter(
        "authcluster_requests_without_customer_ip_total", "Rate-limited requests whose client forwarded no X-Customer-IP (they count against the per-client limit).", "client_id");

    private static readonly Counter ClientAuthenticationFailures = Metrics.CreateCounter(
        "authcluster_client_authentication_failures_total", "Failed client authentications by outcome (invalid_client, throttled).", "outcome");

    private static readonly Counter PasswordResets = Metrics.CreateCounter(
        "authcluster_password_resets_total", "Password reset steps by outcome (requested, success, invalid_hash).", "outcome");

    public void PasswordResetRequested() => PasswordResets.WithLabels("requested").Inc();

    public void PasswordResetCompleted(PasswordResetOutcome outcome) =>
        PasswordResets.WithLabels(outcome == PasswordResetOutcome.Success ? "success" : "invalid_hash").Inc();

    public void LoggedIn(LoginOutcome outcome) => Logins.WithLabels(outcome switch
    {
        LoginOutcome.Success => "success",
        LoginOutcome.Throttled => "throttled",
        _ => "invalid_credentials",
    }).Inc();

    public void Registered(RegisterOutcome outcome) =>
        Registrations.WithLabels(outcome == RegisterOutcome.Registered ? "registered" : "email_taken").Inc();

    public void RateLimitedRequest(string limit) => RateLimited.WithLabels(limit).Inc();

    /// <summary>Labelled by client id: only configured clients get here (after authentication), so the label set stays small.</summary>
    public void RequestWithoutCustomerIp(string clientId) => WithoutCustomerIp.WithLabels(clientId).Inc();

    public void ClientAuthenticationFailed(string outcome) => ClientAuthenticationFailures.WithLabels(outcome).Inc();
}
