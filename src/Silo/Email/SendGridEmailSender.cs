using System.Net;
using AuthCluster.Grains.Email;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGrid;
using SendGrid.Helpers.Mail;

namespace AuthCluster.Silo.Email;

/// <summary>Sends through the SendGrid v3 mail-send API. One attempt per call: retries belong to the reset grain, which persists them.</summary>
public sealed partial class SendGridEmailSender : IEmailSender, IDisposable
{
    private readonly HttpClient _http;
    private readonly SendGridClient _client;
    private readonly SendGrid.Helpers.Mail.EmailAddress _from;
    private readonly EmailDeliveryHealth _health;
    private readonly ILogger<SendGridEmailSender> _logger;

    public SendGridEmailSender(IOptions<EmailOptions> options, EmailDeliveryHealth health, ILogger<SendGridEmailSender> logger)
    {
        var settings = options.Value;
        _health = health;
        _logger = logger;
        _from = ToSendGrid(EmailSettingsValidator.ParseFrom(settings.From));
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = settings.SendGrid.Timeout,
        };
        var clientOptions = new SendGridClientOptions { ApiKey = settings.SendGrid.ApiKey };
        if (!string.IsNullOrWhiteSpace(settings.SendGrid.Host))
        {
            clientOptions.Host = settings.SendGrid.Host;
        }

        _client = new SendGridClient(_http, clientOptions);
    }

    public async Task<EmailSendOutcome> SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        var mail = MailHelper.CreateSingleEmail(_from, new SendGrid.Helpers.Mail.EmailAddress(message.To), message.Subject, message.Text, message.Html);

        // Click tracking would rewrite the reset link through a tracking domain: the secret would pass a third party.
        mail.SetClickTracking(false, false);
        mail.AddCustomArg("message_id", message.MessageId);

        Response response;
        try
        {
            response = await _client.SendEmailAsync(mail, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
        {
            LogUnreachable(_logger, exception.GetType().Name, message.MessageId);
            return EmailSendOutcome.Transient;
        }

        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            _health.ReportDelivered();
            return EmailSendOutcome.Delivered;
        }

        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                LogUnauthorized(_logger, status);
                _health.ReportUnauthorized($"SendGrid refused the configured API key (HTTP {status}); reset emails are queued until Email:SendGrid:ApiKey is fixed.");
                return EmailSendOutcome.Unauthorized;
            case HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout:
                LogTransient(_logger, status, message.MessageId);
                return EmailSendOutcome.Transient;
            case var _ when status >= 500:
                LogTransient(_logger, status, message.MessageId);
                return EmailSendOutcome.Transient;
            default:
                // The response body is not logged: it can echo parts of the message, such as the recipient.
                LogRejected(_logger, status, message.MessageId);
                return EmailSendOutcome.Rejected;
        }
    }

    public void Dispose() => _http.Dispose();

    private static SendGrid.Helpers.Mail.EmailAddress ToSendGrid(System.Net.Mail.MailAddress address) =>
        new(address.Address, string.IsNullOrEmpty(address.DisplayName) ? null : address.DisplayName);

    [LoggerMessage(Level = LogLevel.Error, Message = "SendGrid refused the API key (HTTP {Status}); no email can be sent until Email:SendGrid:ApiKey is fixed")]
    private static partial void LogUnauthorized(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SendGrid answered HTTP {Status} for email {MessageId}; will retry")]
    private static partial void LogTransient(ILogger logger, int status, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SendGrid unreachable ({ExceptionType}) for email {MessageId}; will retry")]
    private static partial void LogUnreachable(ILogger logger, string exceptionType, string messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "SendGrid rejected email {MessageId} with HTTP {Status}")]
    private static partial void LogRejected(ILogger logger, int status, string messageId);
}
