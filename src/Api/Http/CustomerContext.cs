namespace AuthCluster.Api.Http;

/// <summary>
/// The end customer's context forwarded by the shop backend (<c>X-Customer-IP</c>,
/// <c>X-Customer-User-Agent</c>), falling back to the connection's remote address.
/// </summary>
public sealed record CustomerContext(string? Ip, string? UserAgent)
{
    private const int MaxUserAgentLength = 512;

    public static CustomerContext From(HttpContext context)
    {
        var forwarded = context.Request.Headers["X-Customer-IP"].ToString().Trim();
        var ip = System.Net.IPAddress.TryParse(forwarded, out var address)
            ? address.ToString()
            : context.Connection.RemoteIpAddress?.ToString();
        var userAgent = context.Request.Headers["X-Customer-User-Agent"].ToString();
        return new CustomerContext(ip, userAgent.Length == 0 ? null : userAgent[..Math.Min(userAgent.Length, MaxUserAgentLength)]);
    }

    public static ValueTask<CustomerContext> BindAsync(HttpContext context) => ValueTask.FromResult(From(context));

    public string PartitionKey => Ip ?? "unknown";
}
