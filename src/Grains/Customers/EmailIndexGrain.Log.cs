using Microsoft.Extensions.Logging;

namespace AuthCluster.Grains.Customers;

// Never the email address: the security event names the customer id, or none for an address without an account.
public sealed partial class EmailIndexGrain
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Password reset emails for an address in shop {ShopId} exceed {Limit} per {Window}; request ignored")]
    private static partial void LogResetLimited(ILogger logger, long shopId, int limit, TimeSpan window);

    [LoggerMessage(EventId = 2200, EventName = "PasswordResetRequested", Level = LogLevel.Information,
        Message = "Password reset requested in shop {ShopId} by client {ClientId} for customer {CustomerId} (none: no account); over the per-address limit: {Limited}")]
    private static partial void LogResetRequested(ILogger logger, long shopId, string clientId, Guid? customerId, bool limited);
}
