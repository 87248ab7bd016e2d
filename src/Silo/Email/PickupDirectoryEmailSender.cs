using AuthCluster.Grains.Email;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthCluster.Silo.Email;

/// <summary>
/// Writes each email as one RFC 5322 <c>.eml</c> file into <c>Email:PickupDirectory</c>, for development and for
/// relays that watch a pickup folder. The file is named after the message id, so a retried delivery overwrites
/// its own file instead of adding a duplicate.
/// </summary>
public sealed partial class PickupDirectoryEmailSender(
    IOptions<EmailOptions> options,
    EmailDeliveryHealth health,
    TimeProvider time,
    ILogger<PickupDirectoryEmailSender> logger) : IEmailSender
{
    private readonly string _directory = Path.GetFullPath(options.Value.PickupDirectory);
    private readonly string _from = EmailSettingsValidator.ParseFrom(options.Value.From).ToString();

    public async Task<EmailSendOutcome> SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(_directory, $"{message.MessageId}.eml");
        var temporary = path + ".tmp";
        try
        {
            Directory.CreateDirectory(_directory);

            // Written aside, then renamed: whatever watches the folder never sees half a message.
            await File.WriteAllTextAsync(temporary, EmlWriter.Write(message, _from, time.GetUtcNow()), cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(logger, exception.GetType().Name, _directory);
            return EmailSendOutcome.Transient;
        }

        health.ReportDelivered();
        return EmailSendOutcome.Delivered;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write an email into the pickup directory {Directory} ({ExceptionType}); will retry")]
    private static partial void LogWriteFailed(ILogger logger, string exceptionType, string directory);
}
