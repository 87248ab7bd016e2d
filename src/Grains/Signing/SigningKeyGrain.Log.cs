using Microsoft.Extensions.Logging;

namespace AuthCluster.Grains.Signing;

// Security events of key rotation: the public kid and the algorithm, never key material.
public sealed partial class SigningKeyGrain
{
    [LoggerMessage(EventId = 2301, EventName = "SigningKeyAdded", Level = LogLevel.Information,
        Message = "Signing key {KeyId} ({Algorithm}) added to the ring; it signs from {SignsFrom} until {SignsUntil}")]
    private static partial void LogKeyAdded(ILogger logger, string keyId, string algorithm, DateTimeOffset signsFrom, DateTimeOffset signsUntil);

    [LoggerMessage(EventId = 2302, EventName = "SigningKeyRetired", Level = LogLevel.Information,
        Message = "Signing key {KeyId} ({Algorithm}) retired from the ring")]
    private static partial void LogKeyRetired(ILogger logger, string keyId, string algorithm);
}
