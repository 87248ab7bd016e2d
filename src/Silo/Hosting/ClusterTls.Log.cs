using Microsoft.Extensions.Logging;

namespace AuthCluster.Silo.Hosting;

// Event ids 2400–2409: cluster transport security. Certificates are named by subject and thumbprint (public), never by content.
internal sealed partial class ClusterTlsRequirement
{
    [LoggerMessage(EventId = 2400, EventName = "ClusterTlsOn", Level = LogLevel.Information,
        Message = "Cluster traffic uses TLS with client certificates: certificate {Subject} ({Thumbprint}), valid until {NotAfter:u}")]
    private static partial void LogTlsOn(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 2401, EventName = "ClusterTlsDisabled", Level = LogLevel.Warning,
        Message = "Cluster traffic is NOT encrypted or authenticated (Cluster:Tls:Disabled=true): anything that reaches a silo or gateway port can call any grain")]
    private static partial void LogTlsDisabled(ILogger logger);

    [LoggerMessage(EventId = 2402, EventName = "ClusterTlsOffInDevelopment", Level = LogLevel.Warning,
        Message = "Cluster traffic is not encrypted (Development, no Cluster:Tls:Directory); outside Development this node would refuse to start")]
    private static partial void LogTlsOffInDevelopment(ILogger logger);
}

internal sealed partial class ClusterCertificates
{
    [LoggerMessage(EventId = 2403, EventName = "ClusterCertificateReloaded", Level = LogLevel.Information,
        Message = "Cluster certificate reloaded: {Subject} ({Thumbprint}), valid until {NotAfter:u}")]
    private static partial void LogReloaded(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 2404, EventName = "ClusterCertificateReloadFailed", Level = LogLevel.Warning,
        Message = "Cluster certificates in {Directory} changed but cannot be used yet; keeping the current ones: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string directory, string reason);
}
