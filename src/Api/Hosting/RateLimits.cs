using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using AuthCluster.Api.Clients;
using AuthCluster.Api.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace AuthCluster.Api.Hosting;

/// <summary>
/// The <c>RateLimiting</c> configuration section. Every limit here applies to an authenticated API client; requests
/// that fail client authentication are limited per remote address instead (<see cref="FailedClientAuthentication"/>)
/// and never reach a customer's bucket.
/// </summary>
public sealed class RateLimitSettings
{
    public const string Section = "RateLimiting";

    /// <summary>
    /// <c>RateLimiting:PermitLimit</c> per <c>RateLimiting:Window</c>: logins, registrations, guest logins and
    /// updates by hash per (client, end-customer network), where the client forwards <c>X-Customer-IP</c>.
    /// </summary>
    public int PermitLimit { get; set; } = 60;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// <c>RateLimiting:PasswordReset</c>: reset emails per (client, end-customer network), tighter than the general
    /// limit because each request can send an email (the per-address limit is <c>Auth:PasswordReset:MaxEmailsPerWindow</c>).
    /// </summary>
    public WindowLimit PasswordReset { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(15) };

    /// <summary>
    /// <c>RateLimiting:PerClient</c>: what a client that forwards no <c>X-Customer-IP</c> may send, per limit (one
    /// bucket for the login-type endpoints, one for reset emails). All its customers share the backend's address,
    /// so this is sized for a busy shop (1,000 a second; a shop at 200 guest logins a second stays far below it),
    /// not for one customer.
    /// </summary>
    public WindowLimit PerClient { get; set; } = new() { PermitLimit = 1000, Window = TimeSpan.FromSeconds(1) };

    /// <summary>
    /// <c>RateLimiting:FailedClientAuthentication</c>: failed client authentications (no, malformed or wrong
    /// credentials) per remote address; past it, failures answer <c>429</c> instead of <c>401</c>.
    /// </summary>
    public WindowLimit FailedClientAuthentication { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };
}

public sealed class WindowLimit
{
    public int PermitLimit { get; set; }
    public TimeSpan Window { get; set; }

    public FixedWindowRateLimiterOptions ToOptions() => new() { PermitLimit = PermitLimit, Window = Window, QueueLimit = 0 };
}

public static class RateLimits
{
    /// <summary>Logins, registrations, guest logins, updates by hash.</summary>
    public const string CustomerIp = "customer-ip";

    /// <summary>Reset emails.</summary>
    public const string PasswordResetIp = "password-reset-ip";

    public static IServiceCollection AddAuthRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(RateLimitSettings.Section).Get<RateLimitSettings>() ?? new();
        services.AddSingleton(settings);
        services.AddSingleton<MissingCustomerIpReport>();
        return services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(CustomerIp, new ShopRateLimitPolicy(CustomerIp, new WindowLimit { PermitLimit = settings.PermitLimit, Window = settings.Window }, settings.PerClient));
            limiter.AddPolicy(PasswordResetIp, new ShopRateLimitPolicy(PasswordResetIp, settings.PasswordReset, settings.PerClient));
        });
    }
}

/// <summary>
/// The bucket a request counts against, within its limit: one end-customer network of one client, or one client as a
/// whole (the rate-limiting middleware keeps each limit's partitions apart, so the per-client bucket is per limit too).
/// </summary>
public readonly record struct RateLimitKey(string Limit, string ClientId, string? Network)
{
    public const string PerClient = "per-client";
}

/// <summary>
/// Buckets for a limited endpoint, chosen after the client is authenticated (<see cref="ClientAuthentication"/> runs
/// first): per (client, customer network) when the client forwards <c>X-Customer-IP</c>, else the client's own
/// per-client bucket. One shop's customers never share a bucket with another shop's, and a header can only name
/// networks inside the calling client's own buckets.
/// </summary>
internal sealed class ShopRateLimitPolicy(string limit, WindowLimit perCustomerNetwork, WindowLimit perClient) : IRateLimiterPolicy<RateLimitKey>
{
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

    public RateLimitPartition<RateLimitKey> GetPartition(HttpContext httpContext)
    {
        if (ClientAuthentication.ClientOf(httpContext) is not { } client)
        {
            // Unreachable on a client-authenticated endpoint (authentication refused it already); never a customer's bucket.
            return RateLimitPartition.GetNoLimiter(new RateLimitKey(limit, "", null));
        }

        if (CustomerContext.From(httpContext).ForwardedAddress is { } address)
        {
            return RateLimitPartition.GetFixedWindowLimiter(
                new RateLimitKey(limit, client.ClientId, CustomerContext.NetworkOf(address)), _ => perCustomerNetwork.ToOptions());
        }

        httpContext.RequestServices.GetRequiredService<MissingCustomerIpReport>().Record(client.ClientId);
        return RateLimitPartition.GetFixedWindowLimiter(new RateLimitKey(RateLimitKey.PerClient, client.ClientId, null), _ => perClient.ToOptions());
    }

    private async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var forwarded = CustomerContext.From(context).ForwardedAddress;
        var bucket = forwarded is null ? RateLimitKey.PerClient : limit;
        context.RequestServices.GetRequiredService<AuthMetrics>().RateLimitedRequest(bucket);
        context.RequestServices.GetRequiredService<SecurityLog>().RateLimited(
            bucket, ClientAuthentication.ClientOf(context)?.ClientId ?? "-", forwarded is null ? null : CustomerContext.NetworkOf(forwarded), context.Request.Path);
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? wait
            : (forwarded is null ? perClient.Window : perCustomerNetwork.Window);
        await ApiErrors.TooManyAttempts(retryAfter).ExecuteAsync(context);
    }
}

/// <summary>
/// Counts (metric <c>authcluster_requests_without_customer_ip_total</c>) and reports in the log, at most once per
/// <see cref="Interval"/> and client, clients that forward no <c>X-Customer-IP</c>: their customers share one
/// per-client bucket and the session list shows the backend's address, which an operator should know about.
/// </summary>
public sealed partial class MissingCustomerIpReport(AuthMetrics metrics, TimeProvider time, ILogger<MissingCustomerIpReport> logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Tally> _tallies = new(StringComparer.Ordinal);

    public void Record(string clientId)
    {
        metrics.RequestWithoutCustomerIp(clientId);
        var now = time.GetUtcNow();
        var tally = _tallies.GetOrAdd(clientId, _ => new Tally());
        long count;
        lock (tally)
        {
            tally.Count++;
            if (tally.LastReport is { } last && now - last < Interval)
            {
                return;
            }

            count = tally.Count;
            tally.Count = 0;
            tally.LastReport = now;
        }

        LogNoCustomerIp(logger, clientId, count, Interval);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API client {ClientId} forwards no X-Customer-IP ({Count} requests since the last report, reported at most every {Interval}): its customers share the per-client limit RateLimiting:PerClient and sessions show the backend's address")]
    private static partial void LogNoCustomerIp(ILogger logger, string clientId, long count, TimeSpan interval);

    private sealed class Tally
    {
        public long Count { get; set; }
        public DateTimeOffset? LastReport { get; set; }
    }
}
