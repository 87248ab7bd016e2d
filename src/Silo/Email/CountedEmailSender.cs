using AuthCluster.Grains.Email;
using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Silo.Email;

/// <summary>
/// Counts every delivery attempt by outcome (<see cref="AuthMeter.EmailDeliveries"/>) whichever provider sends it, so
/// that an operator sees a provider outage (attempts failing) before customers report missing reset emails.
/// </summary>
/// <remarks>
/// <c>failed</c> is an attempt the email survives (it stays pending and is retried with back-off: provider down,
/// throttling, refused credentials, or an exception), <c>rejected</c> one the provider refused for good.
/// </remarks>
public sealed class CountedEmailSender(IEmailSender inner) : IEmailSender
{
    public async Task<EmailSendOutcome> SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        EmailSendOutcome outcome;
        try
        {
            outcome = await inner.SendAsync(message, cancellationToken);
        }
        catch
        {
            // The grain treats an exception as a transient failure and retries.
            Count("failed");
            throw;
        }

        Count(outcome switch
        {
            EmailSendOutcome.Delivered => "sent",
            EmailSendOutcome.Rejected => "rejected",
            _ => "failed",
        });
        return outcome;
    }

    private static void Count(string outcome) => AuthMeter.EmailDeliveries.Add(1, AuthMeter.Outcome(outcome));
}
