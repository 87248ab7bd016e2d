using System.Collections.Frozen;
using System.Reflection;

namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>
/// Password rules of OWASP ASVS 5.0 V6: 8–128 characters (Unicode code points), no composition
/// rules, not one of the shipped common passwords. Every character counts; nothing is truncated.
/// </summary>
public static class PasswordPolicy
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    private static readonly Lazy<FrozenSet<string>> CommonPasswords = new(LoadCommonPasswords);

    /// <summary>Returns why the password is not acceptable, or null when it is.</summary>
    public static string? Check(string password)
    {
        var length = password.EnumerateRunes().Count();
        if (length < MinLength)
        {
            return $"Must be at least {MinLength} characters.";
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
