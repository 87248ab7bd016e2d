using System.Globalization;

namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>Email comparison rules: unique per shop, case-insensitive after trimming.</summary>
public static class EmailAddress
{
    public static string Normalize(string email) => email.Trim().ToLowerInvariant();

    /// <summary>The key of the <see cref="IEmailIndexGrain"/> for an email in a shop.</summary>
    public static string IndexKey(long shopId, string email) =>
        string.Create(CultureInfo.InvariantCulture, $"{shopId}:{Normalize(email)}");

    public static long ShopIdOf(string indexKey) =>
        long.Parse(indexKey.AsSpan(0, indexKey.IndexOf(':', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
}
