namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>
/// The field rules of a customer's profile, as registration applies them: an email address of at most 254
/// characters that <see cref="EmailAddress"/> accepts, names of at most 100 characters without control
/// characters, gender one of m, f, d. Each check returns why a value is refused, or null. (The API's request reader applies the same rules; they belong here
/// so that every way in — registration, import — agrees.)
/// </summary>
public static class ProfileRules
{
    public const int MaxNameLength = 100;
    public const int MaxEmailLength = EmailAddress.MaxLength;

    /// <param name="email">Already trimmed.</param>
    public static string? CheckEmail(string email)
    {
        if (email.EnumerateRunes().Count() > MaxEmailLength)
        {
            return $"Must be at most {MaxEmailLength} characters.";
        }

        return EmailAddress.Check(email);
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
}
