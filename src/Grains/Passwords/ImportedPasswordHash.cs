using System.Diagnostics.CodeAnalysis;

namespace AuthCluster.Grains.Passwords;

/// <summary>The families of password hash that an import accepts.</summary>
public enum ImportedHashKind
{
    /// <summary>Plain bcrypt over the raw password (<c>$2a$</c>, <c>$2b$</c>, <c>$2y$</c>), as PHP, Node, Spring and most others write it.</summary>
    Bcrypt = 0,

    /// <summary>ASP.NET Core Identity's <c>PasswordHasher&lt;T&gt;</c>, format v2 or v3.</summary>
    AspNetIdentity = 1,

    /// <summary>Django's <c>pbkdf2_sha256$iterations$salt$hash</c> (also <c>pbkdf2_sha512</c>, <c>pbkdf2_sha1</c>).</summary>
    DjangoPbkdf2 = 2,

    /// <summary>argon2id in the PHC string format, version 19.</summary>
    Argon2id = 3,
}

/// <summary>
/// A password hash written by another system and brought in by an import. It verifies a password the way
/// that system did, so a migrated customer can log in once with the old password; the caller then replaces
/// it with an AuthCluster hash. Parsing rejects anything malformed and any parameters that would make one
/// verification cost more than <see cref="ImportedHashLimits"/> allow, so a hostile import file cannot turn
/// a login into minutes of CPU.
/// </summary>
/// <remarks>
/// Stored form (<see cref="ToStored"/>): <c>imported:{kind}:{value as the other system wrote it}</c>, e.g.
/// <c>imported:django-pbkdf2:pbkdf2_sha256$870000$…</c>. AuthCluster's own hashes are bcrypt strings that start
/// with <c>$</c>, so the prefix tells the two apart without a second state field, and the kind keeps a stored
/// hash tied to the verifier it was accepted for even if value detection ever grows ambiguous.
/// </remarks>
public abstract class ImportedPasswordHash
{
    /// <summary>Marks a stored password hash as imported (see the remarks on <see cref="ImportedPasswordHash"/>).</summary>
    public const string StoredPrefix = "imported:";

    private protected ImportedPasswordHash(string value) => Value = value;

    public abstract ImportedHashKind Kind { get; }

    /// <summary>The hash exactly as the other system wrote it (what an export hands back).</summary>
    public string Value { get; }

    /// <summary>True when <paramref name="password"/> is the one this hash was made from. Costs one full hash computation.</summary>
    public abstract bool Verify(string password);

    public string ToStored() => $"{StoredPrefix}{KindTag(Kind)}:{Value}";

    /// <summary>Never the hash itself: this may end up in a log line.</summary>
    public override string ToString() => Kind.ToString();

    /// <summary>Detects the format from the value and validates it.</summary>
    /// <param name="value">The hash as the other system wrote it.</param>
    /// <param name="hash">The parsed hash when the value is accepted.</param>
    /// <param name="reason">Why it is not accepted; names the format and parameters, never the value.</param>
    public static bool TryParse(
        string value,
        [NotNullWhen(true)] out ImportedPasswordHash? hash,
        [NotNullWhen(false)] out string? reason)
    {
        hash = null;
        reason = ShapeProblem(value);
        if (reason is not null)
        {
            return false;
        }

        reason = value switch
        {
            _ when value.StartsWith("$2", StringComparison.Ordinal) => BcryptHash.Read(value, out hash),
            _ when value.StartsWith("$argon2", StringComparison.Ordinal) => Argon2idHash.Read(value, out hash),
            _ when value.StartsWith("pbkdf2_", StringComparison.Ordinal) => DjangoPbkdf2Hash.Read(value, out hash),
            _ when value.StartsWith('$') => "Is not one of the accepted formats (bcrypt, ASP.NET Core Identity v2/v3, Django PBKDF2, argon2id).",
            _ => AspNetIdentityHash.Read(value, out hash),
        };
        return reason is null;
    }

    /// <summary>
    /// The other system's value inside a stored imported hash, without checking it against today's limits (an export
    /// hands it back as it came); null when <paramref name="stored"/> is not an imported hash.
    /// </summary>
    public static string? OriginalValue(string stored)
    {
        if (!IsStored(stored))
        {
            return null;
        }

        var colon = stored.IndexOf(':', StoredPrefix.Length);
        return colon < 0 ? null : stored[(colon + 1)..];
    }

    /// <summary>True when a stored password hash is an imported one rather than AuthCluster's own.</summary>
    public static bool IsStored(string stored) => stored.StartsWith(StoredPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Reads a hash written by <see cref="ToStored"/>. False for AuthCluster's own hashes, and for an imported
    /// hash that the current limits no longer accept (that customer resets the password).
    /// </summary>
    public static bool TryFromStored(string stored, [NotNullWhen(true)] out ImportedPasswordHash? hash)
    {
        hash = null;
        if (!IsStored(stored))
        {
            return false;
        }

        var rest = stored.AsSpan(StoredPrefix.Length);
        var colon = rest.IndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        var tag = rest[..colon].ToString();
        var value = rest[(colon + 1)..].ToString();
        return TryParse(value, out hash, out _) && KindTag(hash.Kind) == tag;
    }

    private static string KindTag(ImportedHashKind kind) => kind switch
    {
        ImportedHashKind.Bcrypt => "bcrypt",
        ImportedHashKind.AspNetIdentity => "aspnet-identity",
        ImportedHashKind.DjangoPbkdf2 => "django-pbkdf2",
        ImportedHashKind.Argon2id => "argon2id",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static string? ShapeProblem(string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "Must not be empty.";
        }

        if (value.Length > ImportedHashLimits.MaxValueLength)
        {
            return $"Must be at most {ImportedHashLimits.MaxValueLength} characters.";
        }

        // Every accepted format is printable ASCII without spaces; base64 decoders would otherwise skip whitespace.
        return value.Any(c => c is <= ' ' or > '~')
            ? "Must contain only printable ASCII characters without spaces."
            : null;
    }
}
