using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace AuthCluster.Grains.Passwords;

/// <summary>
/// Plain bcrypt over the raw password, as most other systems store it: <c>$2a$</c>, <c>$2b$</c> or <c>$2y$</c>,
/// a two-digit cost, then 22 characters of salt and 31 of hash. AuthCluster's own hashes are bcrypt over a
/// SHA-384 pre-hash, so the same string would not verify the same password through the other path.
/// </summary>
internal sealed class BcryptHash : ImportedPasswordHash
{
    private const int SaltEnd = 29; // "$2b$10$" + 22 salt characters
    private const int Length = 60;

    private static readonly SearchValues<char> Bcrypt64 =
        SearchValues.Create("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");

    private BcryptHash(string value) : base(value)
    {
    }

    public override ImportedHashKind Kind => ImportedHashKind.Bcrypt;

    public override bool Verify(string password)
    {
        // Hashing with the stored salt and comparing only the hash part, in constant time, keeps the comparison
        // independent of how the salt's last character was encoded.
        // BCrypt.Net's encoder throws on unpaired surrogates; replace them as the other verifiers' UTF-8 does.
        var computed = BCrypt.Net.BCrypt.HashPassword(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(password)), Value[..SaltEnd]);
        return CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(computed[SaltEnd..]),
            Encoding.ASCII.GetBytes(Value[SaltEnd..]));
    }

    /// <summary>
    /// The shape of any bcrypt hash of the variants BCrypt.Net reads, whatever its cost: AuthCluster's own hashes are
    /// checked with it before verification, because BCrypt.Net throws assorted exceptions on damaged values.
    /// </summary>
    internal static bool IsWellFormed(string value) =>
        value.Length == Length && value[0] == '$' && value[1] == '2' && (value[2] is 'a' or 'b' or 'y') && value[3] == '$'
        && value[6] == '$' && char.IsAsciiDigit(value[4]) && char.IsAsciiDigit(value[5])
        && !value.AsSpan(7).ContainsAnyExcept(Bcrypt64);

    /// <summary>Why <paramref name="value"/> is not an accepted bcrypt hash, or null with <paramref name="hash"/> set.</summary>
    internal static string? Read(string value, out ImportedPasswordHash? hash)
    {
        hash = null;
        if (value.Length < 4 || value[3] != '$' || value[2] is not ('a' or 'b' or 'y'))
        {
            return "Is not a bcrypt hash of a supported variant ($2a$, $2b$, $2y$).";
        }

        if (!IsWellFormed(value))
        {
            return "Is not a well-formed bcrypt hash ($2b$NN$ followed by 53 characters of [./A-Za-z0-9]).";
        }

        var cost = ((value[4] - '0') * 10) + (value[5] - '0');
        if (cost is < ImportedHashLimits.MinBcryptCost or > ImportedHashLimits.MaxBcryptCost)
        {
            return $"bcrypt cost {cost} is outside the accepted range {ImportedHashLimits.MinBcryptCost}–{ImportedHashLimits.MaxBcryptCost}.";
        }

        hash = new BcryptHash(value);
        return null;
    }
}
