using AuthCluster.Grains.Interfaces.Hosting;

namespace AuthCluster.Grains.Email;

/// <summary>One email as it goes to a provider. The sender adds <c>From</c>.</summary>
/// <param name="MessageId">Stable per logical email, so that a provider or the pickup directory can recognise a retry.</param>
public sealed record EmailMessage(string MessageId, string To, string Subject, string Text, string Html);

/// <summary>What became of one delivery attempt.</summary>
public enum EmailSendOutcome
{
    Delivered = 0,

    /// <summary>Worth retrying: the provider is unreachable, overloaded or failed (5xx, 429, timeouts).</summary>
    Transient = 1,

    /// <summary>
    /// The provider refused our credentials (401/403). No email can go out until an operator fixes the
    /// configuration, so it is retried (a fixed key lets pending emails through) and reported by health checks.
    /// </summary>
    Unauthorized = 2,

    /// <summary>The provider refused this message for good (another 4xx); retrying cannot help.</summary>
    Rejected = 3,
}

/// <summary>The port through which grains send email; adapters live in the silo host (SendGrid, pickup directory).</summary>
public interface IEmailSender
{
    /// <summary>Attempts one delivery. Expected failures are outcomes, not exceptions.</summary>
    Task<EmailSendOutcome> SendAsync(EmailMessage message, CancellationToken cancellationToken = default);
}

/// <summary>
/// The last thing the email provider said about our credentials, for readiness reporting: a provider that
/// refuses our API key makes every reset email wait, which an operator must see without reading logs.
/// </summary>
public sealed class EmailDeliveryHealth(TimeProvider time) : IEmailDeliveryHealth
{
    private volatile Problem? _problem;

    /// <inheritdoc/>
    /// <remarks>Cleared by the next successful delivery.</remarks>
    public string? ProblemDescription => _problem is { } p ? $"{p.Description} (since {p.Since:O})" : null;

    public void ReportUnauthorized(string description) => _problem ??= new Problem(description, time.GetUtcNow());

    public void ReportDelivered() => _problem = null;

    private sealed record Problem(string Description, DateTimeOffset Since);
}
