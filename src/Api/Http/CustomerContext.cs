using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AuthCluster.Api.Http;

/// <summary>
/// The end customer's context forwarded by the shop backend (<c>X-Customer-IP</c>, <c>X-Customer-User-Agent</c>),
/// falling back to the connection's remote address. Both headers are trusted only from an authenticated client:
/// they name the customer's network for the per-customer-IP limits and are shown in the session list.
/// </summary>
public sealed record CustomerContext(string? Ip, string? UserAgent)
{
    private const int MaxUserAgentLength = 512;

    /// <summary>The customer's address as the client forwarded it (normalized), or null when it forwarded none we can read.</summary>
    public IPAddress? ForwardedAddress { get; init; }

    public static CustomerContext From(HttpContext context)
    {
        var forwarded = IPAddress.TryParse(context.Request.Headers["X-Customer-IP"].ToString().Trim(), out var parsed) ? Normalize(parsed) : null;
        var ip = forwarded ?? (context.Connection.RemoteIpAddress is { } remote ? Normalize(remote) : null);
        return new CustomerContext(ip?.ToString(), CleanUserAgent(context.Request.Headers["X-Customer-User-Agent"].ToString()))
        {
            ForwardedAddress = forwarded,
        };
    }

    public static ValueTask<CustomerContext> BindAsync(HttpContext context) => ValueTask.FromResult(From(context));

    /// <summary>
    /// The network an address stands for in a rate limit: an IPv4 address itself, an IPv6 address its /64 (one
    /// subscriber's prefix: a customer rotating through the addresses of their own /64 stays one customer).
    /// </summary>
    public static string NetworkOf(IPAddress address)
    {
        address = Normalize(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>IPv4-mapped IPv6 (<c>::ffff:192.0.2.1</c>) folded to IPv4, and no zone id: one customer, one spelling.</summary>
    public static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0
            ? new IPAddress(address.GetAddressBytes())
            : address;
    }

    /// <summary>
    /// The user agent as the session list will show it: control characters (including CR/LF and other C0/C1
    /// characters that could forge lines in a log or a terminal) dropped, length capped.
    /// </summary>
    private static string? CleanUserAgent(string raw)
    {
        var clean = new StringBuilder(Math.Min(raw.Length, MaxUserAgentLength));
        foreach (var c in raw)
        {
            if (clean.Length == MaxUserAgentLength)
            {
                break;
            }

            if (!char.IsControl(c) && c != '\u2028' && c != '\u2029')
            {
                clean.Append(c);
            }
        }

        // A surrogate pair cut in half by the cap would be a lone surrogate in the stored text.
        if (clean.Length > 0 && char.IsHighSurrogate(clean[^1]))
        {
            clean.Length--;
        }

        var text = clean.ToString().Trim();
        return text.Length == 0 ? null : text;
    }
}
