using Microsoft.Extensions.Logging;

namespace AuthCluster.Grains.Customers;

// Security events of operator commands (category SecurityEvents.Category, ids 2400–2449): the customer id, its shop
// and who ran the command — never the email address, a name or anything of the password.
public sealed partial class CustomerGrain
{
    [LoggerMessage(EventId = 2400, EventName = "CustomerReadByOperator", Level = LogLevel.Information,
        Message = "Data of customer {CustomerId} in shop {ShopId} read by operator {Actor}")]
    private static partial void LogCustomerRead(ILogger logger, Guid customerId, long shopId, string actor);

    [LoggerMessage(EventId = 2401, EventName = "CustomerSessionsRevokedByOperator", Level = LogLevel.Warning,
        Message = "All sessions of customer {CustomerId} in shop {ShopId} revoked by operator {Actor} ({Count} listed)")]
    private static partial void LogSessionsRevokedByOperator(ILogger logger, Guid customerId, long shopId, string actor, int count);

    [LoggerMessage(EventId = 2402, EventName = "CustomerDisabled", Level = LogLevel.Warning,
        Message = "Customer {CustomerId} in shop {ShopId} disabled by operator {Actor}; every session revoked")]
    private static partial void LogDisabled(ILogger logger, Guid customerId, long shopId, string actor);

    [LoggerMessage(EventId = 2403, EventName = "CustomerEnabled", Level = LogLevel.Warning,
        Message = "Customer {CustomerId} in shop {ShopId} enabled by operator {Actor}")]
    private static partial void LogEnabled(ILogger logger, Guid customerId, long shopId, string actor);

    [LoggerMessage(EventId = 2404, EventName = "CustomerErased", Level = LogLevel.Warning,
        Message = "Customer {CustomerId} in shop {ShopId} erased by operator {Actor}: profile, password, sessions and reset state removed")]
    private static partial void LogErased(ILogger logger, Guid customerId, long shopId, string actor);
}
