using System.Threading.RateLimiting;
using AuthCluster.Api.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace AuthCluster.Api.Hosting;

/// <summary>The <c>RateLimiting</c> configuration section: per end-customer IP, on the credential endpoints.</summary>
public sealed class RateLimitSettings
{
    public int PermitLimit { get; set; } = 60;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// <c>RateLimiting:PasswordReset</c>: reset emails per end-customer IP, tighter than the general limit because
    /// each request can send an email (the per-address limit is <c>Auth:PasswordReset:MaxEmailsPerWindow</c>).
    /// </summary>
    public WindowLimit PasswordReset { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(15) };
}

public sealed class WindowLimit
{
    public int PermitLimit { get; set; }
    public TimeSpan Window { get; set; }
}

public static class RateLimits
{
    public const string CustomerIp = "customer-ip";
    public const string PasswordResetIp = "password-reset-ip";

    public static IServiceCollection AddAuthRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("RateLimiting").Get<RateLimitSettings>() ?? new();
        return services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(CustomerIp, context => RateLimitPartition.GetFixedWindowLimiter(
                CustomerContext.From(context).PartitionKey,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.PermitLimit, Window = settings.Window, QueueLimit = 0 }));
            limiter.AddPolicy(PasswordResetIp, context => RateLimitPartition.GetFixedWindowLimiter(
                CustomerContext.From(context).PartitionKey,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.PasswordReset.PermitLimit, Window = settings.PasswordReset.Window, QueueLimit = 0 }));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                rejected.HttpContext.RequestServices.GetRequiredService<AuthMetrics>().RateLimitedRequest();
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : settings.Window;
                await ApiErrors.TooManyAttempts(retryAfter).ExecuteAsync(rejected.HttpContext);
            };
        });
    }
}
