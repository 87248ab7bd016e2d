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

    // The admin commands (keys rotate|revoke, kek rotate): who ran them (the operator's user@host), the public kid and
    // KEK ids, never key material. The time is the log record's.
    [LoggerMessage(EventId = 2450, EventName = "SigningKeyRotatedByAdmin", Level = LogLevel.Warning,
        Message = "Admin {Actor} rotated the signing key: {KeyId} signs from now on, {PreviousKeyId} no longer signs")]
    private static partial void LogKeysRotated(ILogger logger, string actor, string keyId, string previousKeyId);

    [LoggerMessage(EventId = 2451, EventName = "SigningKeyRevoked", Level = LogLevel.Warning,
        Message = "Admin {Actor} revoked signing key {KeyId} ({Algorithm}); its tokens are refused. Key that took over signing: {CurrentKeyId}")]
    private static partial void LogKeyRevoked(ILogger logger, string actor, string keyId, string algorithm, string currentKeyId);

    [LoggerMessage(EventId = 2452, EventName = "KekRotated", Level = LogLevel.Warning,
        Message = "Admin {Actor} re-encrypted {Count} signing keys under KEK {KekId}; no key is left under {PreviousKekIds}")]
    private static partial void LogKekRotated(ILogger logger, string actor, string kekId, int count, string previousKekIds);

    [LoggerMessage(EventId = 2453, EventName = "KekRotationRefused", Level = LogLevel.Warning,
        Message = "Admin {Actor}: KEK rotation refused ({Outcome}); the silo's current KEK is {KekId} ({Detail})")]
    private static partial void LogKekRotationRefused(ILogger logger, string actor, string outcome, string kekId, string detail);
}
