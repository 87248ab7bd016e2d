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
        "authcluster_rate_limited_total", "Requests rejected by the per-IP rate limiter.");

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

    public void RateLimitedRequest() => RateLimited.Inc();
}
