using System.Net.Mail;

namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>
/// The field rules of a customer's profile, as registration applies them: an email address of at most 254
/// characters, names of at most 100 characters without control characters, gender one of m, f, d. Each check
/// returns why a value is refused, or null. (The API's request reader applies the same rules; they belong here
/// so that every way in — registration, import — agrees.)
/// </summary>
public static class ProfileRules
{
    public const int MaxNameLength = 100;
    public const int MaxEmailLength = 254;

    /// <param name="email">Already trimmed.</param>
    public static string? CheckEmail(string email)
    {
        if (email.EnumerateRunes().Count() > MaxEmailLength)
        {
            return $"Must be at most {MaxEmailLength} characters.";
        }

        return IsEmail(email) ? null : "Must be an email address.";
    }

    public static string? CheckName(string name)
    {
        if (name.EnumerateRunes().Count() > MaxNameLength)
        {
            return $"Must be at most {MaxNameLength} characters.";
        }

        return name.Any(char.IsControl) ? "Must not contain control characters." : null;
    }

    public static string? CheckGender(string gender) =>
        gender is "m" or "f" or "d" ? null : "Must be one of m, f, d.";

    private static bool IsEmail(string email) =>
        email.Count(c => c == '@') == 1
        && !email.Any(char.IsWhiteSpace)
        && MailAddress.TryCreate(email, out var address)
        && address.Address == email
        && address.Host.Contains('.', StringComparison.Ordinal);
}
