using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Logging;

namespace AuthCluster.Grains.Sessions;

// Security events (category SecurityEvents.Category): ids of the session, its subject and client, and customer IPs —
// never a refresh token or its digest.
public sealed partial class SessionGrain
{
    [LoggerMessage(EventId = 2001, EventName = "RefreshTokenReuseDetected", Level = LogLevel.Warning,
        Message = "Refresh token reuse detected on session {SessionId} of subject {SubjectId}: presented by client {ClientId} from {CustomerIp} (session last used from {SessionIp}); the session is revoked")]
    private static partial void LogReuseDetected(ILogger logger, Guid sessionId, Guid subjectId, string clientId, string? customerIp, string? sessionIp);

    [LoggerMessage(EventId = 2002, EventName = "SessionRevoked", Level = LogLevel.Information,
        Message = "Session {SessionId} of {CustomerType} {SubjectId} in shop {ShopId} (client {ClientId}) revoked: {Reason}")]
    private static partial void LogRevoked(ILogger logger, Guid sessionId, Guid subjectId, CustomerType customerType, long shopId, string clientId, RevocationReason reason);
}
