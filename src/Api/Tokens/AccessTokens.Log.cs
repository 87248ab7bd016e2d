namespace AuthCluster.Api.Tokens;

// Security events of token validation: the reason and, once the signature is verified, the session, subject and
// client — never the token or any part of it.
public sealed partial class AccessTokenValidator
{
    [LoggerMessage(EventId = 2101, EventName = "InvalidToken", Level = LogLevel.Information,
        Message = "invalid_token: access token refused ({Reason})")]
    private static partial void LogInvalidToken(ILogger logger, string reason);

    [LoggerMessage(EventId = 2102, EventName = "InvalidTokenSession", Level = LogLevel.Information,
        Message = "invalid_token: session {SessionId} is not active for subject {SubjectId} (client {ClientId})")]
    private static partial void LogInvalidSession(ILogger logger, Guid sessionId, Guid subjectId, string clientId);
}
