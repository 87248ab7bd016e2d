using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Api.Hosting;

/// <summary>
/// The API's business counters, on the <see cref="AuthMeter"/> instruments (OTLP and <c>/metrics</c>); request rates
/// and latencies come from the HTTP middleware and the ASP.NET Core instrumentation.
/// </summary>
public sealed class AuthMetrics
{
    public void PasswordResetRequested() => AuthMeter.PasswordResets.Add(1, AuthMeter.Outcome("requested"));

    public void PasswordResetCompleted(PasswordResetOutcome outcome) =>
        AuthMeter.PasswordResets.Add(1, AuthMeter.Outcome(outcome == PasswordResetOutcome.Success ? "success" : "invalid_hash"));

    public void LoggedIn(LoginOutcome outcome) => AuthMeter.LoggedIn(outcome);

    public void Registered(RegisterOutcome outcome) =>
        AuthMeter.Registrations.Add(1, AuthMeter.Outcome(outcome == RegisterOutcome.Registered ? "registered" : "email_taken"));

    public void RateLimitedRequest(string limit) => AuthMeter.RateLimited.Add(1, new KeyValuePair<string, object?>("limit", limit));

    /// <summary>Labelled by client id: only configured clients get here (after authentication), so the label set stays small.</summary>
    public void RequestWithoutCustomerIp(string clientId) =>
        AuthMeter.RequestsWithoutCustomerIp.Add(1, new KeyValuePair<string, object?>("client_id", clientId));

    public void ClientAuthenticationFailed(string outcome) => AuthMeter.ClientAuthenticationFailures.Add(1, AuthMeter.Outcome(outcome));
}
