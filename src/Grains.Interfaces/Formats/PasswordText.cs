using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>
/// The one place where a password becomes the text that is checked and hashed (NIST SP 800-63B §3.1.1.2): Unicode
/// NFKC, so that a password typed as composed or decomposed characters (<c>é</c> as one code point or as <c>e</c>
/// and a combining accent), or with compatibility forms (fullwidth letters, ligatures), is the same password.
/// </summary>
public static class PasswordText
{
    /// <summary>
    /// The NFKC form of <paramref name="password"/>. Text that is not well-formed UTF-16 (which request parsing
    /// already refuses) has no normal form and is returned unchanged rather than failing a login.
    /// </summary>
    [return: NotNullIfNotNull(nameof(password))]
    public static string? Normalize(string? password)
    {
        if (password is null)
        {
            return null;
        }

        try
        {
            return password.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return password;
        }
    }

    /// <summary>
    /// The forms to verify at login, in order: the normalized one, then — only when it differs — the password as
    /// typed, which is what a hash made before normalization was introduced holds. A match on the second form means
    /// the stored hash should be replaced by one of the normalized form.
    /// </summary>
    public static IReadOnlyList<string> LoginCandidates(string password)
    {
        var normalized = Normalize(password);
        return string.Equals(normalized, password, StringComparison.Ordinal) ? [normalized] : [normalized, password];
    }
}
