namespace AuthCluster.Api.Hosting;

// Event ids 1000–1099: the API's security events. Every message carries Outcome, ClientId and the customer's IP (or
// the remote address) as structured fields, so that a SIEM can filter on them without parsing text.
public sealed partial class SecurityLog
{
    [LoggerMessage(EventId = 1000, EventName = "LoginSucceeded", Level = LogLevel.Information,
        Message = "Login {Outcome}: client {ClientId}, shop {ShopId}, customer {CustomerId}, customer IP {CustomerIp}")]
    private static partial void LogLoginSucceeded(ILogger logger, string outcome, string clientId, long shopId, Guid customerId, string? customerIp);

    [LoggerMessage(EventId = 1001, EventName = "LoginFailed", Level = LogLevel.Warning,
        Message = "Login {Outcome}: client {ClientId}, shop {ShopId}, email {MaskedEmail}, customer IP {CustomerIp}")]
    private static partial void LogLoginFailed(ILogger logger, string outcome, string clientId, long shopId, string maskedEmail, string? customerIp);

    [LoggerMessage(EventId = 1002, EventName = "Registration", Level = LogLevel.Information,
        Message = "Registration {Outcome}: client {ClientId}, shop {ShopId}, customer {CustomerId}, customer IP {CustomerIp}")]
    private static partial void LogRegistration(ILogger logger, string outcome, string clientId, long shopId, Guid customerId, string? customerIp);

    [LoggerMessage(EventId = 1007, EventName = "RegistrationRefused", Level = LogLevel.Warning,
        Message = "Registration {Outcome}: client {ClientId}, shop {ShopId}, email {MaskedEmail}, customer IP {CustomerIp}")]
    private static partial void LogRegistrationRefused(ILogger logger, string outcome, string clientId, long shopId, string maskedEmail, string? customerIp);

    [LoggerMessage(EventId = 1003, EventName = "GuestLogin", Level = LogLevel.Information,
        Message = "Guest login {Outcome}: client {ClientId}, shop {ShopId}, customer {CustomerId}, customer IP {CustomerIp}")]
    private static partial void LogGuestLogin(ILogger logger, string outcome, string clientId, long shopId, Guid customerId, string? customerIp);

    [LoggerMessage(EventId = 1004, EventName = "Logout", Level = LogLevel.Information,
        Message = "Logout {Outcome}: client {ClientId}, shop {ShopId}, customer {CustomerId}, session {SessionId}, scope {Scope}, customer IP {CustomerIp}")]
    private static partial void LogLogout(ILogger logger, string outcome, string clientId, long shopId, Guid customerId, Guid sessionId, string scope, string? customerIp);

    [LoggerMessage(EventId = 1005, EventName = "ClientAuthenticationFailed", Level = LogLevel.Warning,
        Message = "Client authentication {Outcome}: client {ClientId}, remote address {RemoteAddress}")]
    private static partial void LogClientAuthenticationFailed(ILogger logger, string outcome, string clientId, string remoteAddress);

    [LoggerMessage(EventId = 1006, EventName = "RateLimited", Level = LogLevel.Warning,
        Message = "Request {Outcome} by the {Limit} limit: client {ClientId}, customer network {CustomerIp}, path {Path}")]
    private static partial void LogRateLimited(ILogger logger, string outcome, string limit, string clientId, string customerIp, string path);
}
