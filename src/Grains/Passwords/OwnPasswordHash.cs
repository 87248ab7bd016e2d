using System.Diagnostics.CodeAnalysis;

namespace AuthCluster.Grains.Passwords;

/// <summary>
/// AuthCluster's own password hash as an export writes it and an import reads it back:
/// <c>authcluster-bcrypt-sha384:$2a$11$…</c>. The marker names the scheme (bcrypt over the base64 of SHA-384 of the
/// UTF-8 password, see <see cref="Domain.BcryptPasswordHasher"/>), so that another system can verify it, and keeps an
/// import from mistaking it for plain bcrypt, which would never verify. An imported own hash is stored as it is:
/// no upgrade is due (unless the configured cost differs, like any own hash).
/// </summary>
public static class OwnPasswordHash
{
    public const string ExportPrefix = "authcluster-bcrypt-sha384:";

    /// <summary>The export form of a stored own hash.</summary>
    public static string ToExported(string storedHash) => ExportPrefix + storedHash;

    public static bool IsExported(string value) => value.StartsWith(ExportPrefix, StringComparison.Ordinal);

    /// <summary>Reads an export form back into the stored hash; the reason never repeats the value.</summary>
    public static bool TryFromExported(
        string value,
        [NotNullWhen(true)] out string? storedHash,
        [NotNullWhen(false)] out string? reason)
    {
        storedHash = null;
        var bcrypt = IsExported(value) ? value[ExportPrefix.Length..] : "";

        // The same shape and cost bounds as an imported bcrypt hash: a file must not be able to plant a cost-31 hash.
        reason = BcryptHash.Read(bcrypt, out _);
        if (reason is not null)
        {
            reason = $"An AuthCluster hash ({ExportPrefix}…) must carry a bcrypt hash: {reason}";
            return false;
        }

        storedHash = bcrypt;
        return true;
    }
}
