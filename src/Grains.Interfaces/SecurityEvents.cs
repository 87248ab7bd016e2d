namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// The security event log (OWASP ASVS V16): one logger category that operators route to their SIEM. Its events
/// name the client, the customer id and the customer IP, never a password, token, hash, key or full email address.
/// </summary>
public static class SecurityEvents
{
    public const string Category = "AuthCluster.Security";
}
