using AuthCluster.Grains.Email;
using Microsoft.Extensions.Logging;

namespace AuthCluster.Grains.PasswordResets;

// Delivery logs name the email's kind, a random message id (stored only here) and the shop — never the hash, the link
// or the recipient. Security events (category SecurityEvents.Category) name the customer id, the shop, the client and
// the customer IP, never the email address or the password.
public sealed partial class PasswordResetGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} email {MessageId} for shop {ShopId} delivered after {Attempts} attempt(s)")]
    private static partial void LogDelivered(ILogger logger, string kind, string messageId, long shopId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} email {MessageId} for shop {ShopId} not delivered (attempt {Attempts}: {Outcome}); retrying in {Delay}")]
    private static partial void LogWillRetry(ILogger logger, string kind, string messageId, long shopId, int attempts, EmailSendOutcome outcome, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} email {MessageId} for shop {ShopId} abandoned: it expired after {Attempts} failed attempt(s)")]
    private static partial void LogAbandonedExpired(ILogger logger, string kind, string messageId, long shopId, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} email {MessageId} for shop {ShopId} abandoned: the provider rejected it")]
    private static partial void LogRejected(ILogger logger, string kind, string messageId, long shopId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Password reset email {MessageId} for shop {ShopId} abandoned: it cannot be decrypted (was the key-encryption key changed?)")]
    private static partial void LogUndecryptable(ILogger logger, string messageId, long shopId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Clearing the login throttle after a password reset in shop {ShopId} failed; it runs out on its own")]
    private static partial void LogThrottleNotCleared(ILogger logger, Exception exception, long shopId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Email sender failed ({ExceptionType}) on password reset email {MessageId}; will retry")]
    private static partial void LogSenderFailed(ILogger logger, string exceptionType, string messageId);

    [LoggerMessage(EventId = 2201, EventName = "PasswordResetCompleted", Level = LogLevel.Information,
        Message = "Password reset completed for customer {CustomerId} in shop {ShopId} by client {ClientId} from {CustomerIp}; every earlier session revoked")]
    private static partial void LogResetCompleted(ILogger logger, Guid customerId, long shopId, string clientId, string? customerIp);

    [LoggerMessage(EventId = 2202, EventName = "PasswordChanged", Level = LogLevel.Information,
        Message = "Password changed for customer {CustomerId} in shop {ShopId} by client {ClientId} from {CustomerIp} (reset link); the customer is notified by email")]
    private static partial void LogPasswordChanged(ILogger logger, Guid customerId, long shopId, string clientId, string? customerIp);
}
