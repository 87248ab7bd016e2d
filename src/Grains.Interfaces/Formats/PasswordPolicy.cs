using System.Collections.Frozen;
using System.Reflection;
using System.Text;

namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>
/// Password rules of OWASP ASVS 5.0 V6 and NIST SP 800-63B, applied to the <see cref="PasswordText.Normalize">NFKC
/// form</see>: at least <c>Auth:Passwords:MinLength</c> (default 8) and at most 128 characters (Unicode code
/// points), no composition rules, not one of the shipped common passwords, not containing the customer's names or
/// the local part of their email address. Every character counts; nothing is truncated.
/// </summary>
public static class PasswordPolicy
{
    public const int DefaultMinLength = 8;
    public const int MaxLength = 128;

    /// <summary>
    /// Context words (names, pieces of the email's local part) shorter than this are not looked for: three letters
    /// such as "ada" or "lee" occur inside too many unrelated passphrases to refuse them.
    /// </summary>
    public const int MinContextWordLength = 4;

    private static readonly Lazy<FrozenSet<string>> CommonPasswords = new(LoadCommonPasswords);

    /// <summary>Returns why the (normalized) password is not acceptable, or null when it is.</summary>
    public static string? Check(string password, int minLength = DefaultMinLength)
    {
        var length = password.EnumerateRunes().Count();
        if (length < minLength)
        {
            return $"Must be at least {minLength} characters.";
        }

        if (length > MaxLength)
        {
            return $"Must be at most {MaxLength} characters.";
        }

        // The shipped list is lower-case, so a capitalised variant of a common password is common too.
        return CommonPasswords.Value.Contains(password.ToLowerInvariant())
            ? "Is too common; choose a less predictable password."
            : null;
    }

    /// <summary>Returns why the (normalized) password is not acceptable for this customer, or null when it is.</summary>
    public static string? CheckContext(string password, IEnumerable<string> contextWords)
    {
        var folded = Fold(password);
        return contextWords.Any(word => folded.Contains(word, StringComparison.Ordinal))
            ? "Must not contain the customer's name or the part of the email address before the @."
            : null;
    }

    /// <summary>
    /// The words a customer's password must not contain, folded (NFKC, lower-case): the first and last name and the
    /// email's local part, each whole and split at anything that is not a letter or digit (<c>ada.lovelace</c> gives
    /// <c>ada.lovelace</c> and <c>lovelace</c>), keeping those of at least <see cref="MinContextWordLength"/> characters.
    /// Absent values count as empty.
    /// </summary>
    public static IReadOnlyList<string> ContextWords(string? email, string? firstName, string? lastName)
    {
        var at = email?.LastIndexOf('@') ?? -1;
        var local = at > 0 ? email![..at] : email;
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in new[] { local, firstName, lastName })
        {
            var folded = Fold(value?.Trim() ?? "");
            words.Add(folded);
            words.UnionWith(Pieces(folded));
        }

        words.RemoveWhere(w => w.EnumerateRunes().Count() < MinContextWordLength);
        return [.. words];
    }

    private static string Fold(string text) => PasswordText.Normalize(text).ToLowerInvariant();

    private static IEnumerable<string> Pieces(string text)
    {
        var piece = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                piece.Append(rune.ToString());
            }
            else if (piece.Length > 0)
            {
                yield return piece.ToString();
                piece.Clear();
            }
        }

        if (piece.Length > 0)
        {
            yield return piece.ToString();
        }
    }

    private static FrozenSet<string> LoadCommonPasswords()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("common-passwords.txt")
            ?? throw new InvalidOperationException("The common password list is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var passwords = new List<string>(capacity: 20_000);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                passwords.Add(line);
            }
        }

        return passwords.ToFrozenSet(StringComparer.Ordinal);
    }
}
