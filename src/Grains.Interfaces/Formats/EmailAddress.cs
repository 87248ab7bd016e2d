using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace AuthCluster.Grains.Interfaces.Formats;

/// <summary>
/// Which email addresses are acceptable, and which of them are the same account. Emails are unique per shop by
/// their canonical form: trimmed, NFKC-normalized, lower-cased, the domain mapped to ASCII with IDNA (UTS #46).
/// Addresses that would look the same as another but compare differently are refused rather than folded:
/// invisible and formatting characters, a trailing dot in the domain, and local parts that mix scripts
/// (see docs/DECISIONS.md). For an ordinary ASCII address the canonical form is what it always was, the trimmed
/// lower-case address, so stored index keys stay valid.
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 254;

    /// <summary>Why <paramref name="email"/> is not an acceptable address, or null when it is.</summary>
    public static string? Check(string email) => TryCanonicalize(email, out _, out var problem) ? null : problem;

    /// <summary>The canonical form of an acceptable address: the part of the index key that identifies the account.</summary>
    public static bool TryCanonicalize(string email, [NotNullWhen(true)] out string? canonical, [NotNullWhen(false)] out string? problem)
    {
        canonical = null;
        var trimmed = email.Trim();

        // Checked before normalizing: NFKC keeps most of these, but IDNA would silently drop some (a soft hyphen,
        // a zero-width space), and an address whose spellings differ only in invisible characters is an attack.
        if (!trimmed.EnumerateRunes().All(IsVisible))
        {
            problem = "Must not contain invisible, formatting or unassigned characters.";
            return false;
        }

        var normalized = trimmed.Normalize(NormalizationForm.FormKC);
        if (normalized.Contains('@', StringComparison.Ordinal) && normalized.EndsWith('.'))
        {
            // A fully qualified domain name reaches the same mailbox, but would be a second account.
            problem = "The domain must not end with a dot.";
            return false;
        }

        if (!IsMailbox(normalized))
        {
            problem = "Must be an email address.";
            return false;
        }

        var at = normalized.IndexOf('@', StringComparison.Ordinal);
        var local = normalized[..at];
        var domain = normalized[(at + 1)..];

        if (MixesScripts(local))
        {
            problem = "The part before the @ must not mix letters of different scripts.";
            return false;
        }

        if (ToAsciiDomain(domain) is not { } asciiDomain)
        {
            problem = "Must have a valid domain name.";
            return false;
        }

        canonical = local.ToLowerInvariant() + "@" + asciiDomain;
        problem = null;
        return true;
    }

    /// <summary>The canonical form of an address that passed <see cref="Check"/>.</summary>
    /// <exception cref="ArgumentException">The address is not acceptable: requests are validated before they get here.</exception>
    public static string Normalize(string email) =>
        TryCanonicalize(email, out var canonical, out var problem) ? canonical : throw new ArgumentException(problem, nameof(email));

    /// <summary>The key of the <see cref="IEmailIndexGrain"/> for an acceptable email in a shop.</summary>
    public static string IndexKey(long shopId, string email) =>
        string.Create(CultureInfo.InvariantCulture, $"{shopId}:{Normalize(email)}");

    /// <summary>
    /// The index key of an address stored on an account. An address stored before the current rules that they no
    /// longer accept keeps the key it was registered under (trimmed and lower-cased), so its index entry is found.
    /// </summary>
    public static string StoredIndexKey(long shopId, string email) =>
        string.Create(CultureInfo.InvariantCulture, $"{shopId}:{(TryCanonicalize(email, out var canonical, out _) ? canonical : email.Trim().ToLowerInvariant())}");

    public static long ShopIdOf(string indexKey) =>
        long.Parse(indexKey.AsSpan(0, indexKey.IndexOf(':', StringComparison.Ordinal)), CultureInfo.InvariantCulture);

    private static bool IsMailbox(string email) =>
        email.Count(c => c == '@') == 1
        && !email.Any(char.IsWhiteSpace)
        && MailAddress.TryCreate(email, out var address)
        && address.Address == email
        && address.Host.Contains('.', StringComparison.Ordinal);

    /// <summary>
    /// An ASCII domain is only lower-cased, exactly as before IDNA mapping was introduced (so every stored key of an
    /// ASCII address stays valid, <c>xn--</c> labels included); any other is mapped with UTS #46 (which also
    /// applies the STD3 host name rules), so that <c>bücher.example</c> and <c>xn--bcher-kva.example</c> are one.
    /// </summary>
    private static string? ToAsciiDomain(string domain)
    {
        if (Ascii.IsValid(domain))
        {
            return domain.ToLowerInvariant();
        }

        try
        {
            return new IdnMapping { UseStd3AsciiRules = true }.GetAscii(domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// False for what a reader cannot see or that has no meaning yet: Unicode format characters (Cf: soft hyphen,
    /// zero-width space and joiners, bidi controls, BOM…), controls, unassigned and private-use code points,
    /// broken surrogates (which enumerate as U+FFFD), and the other default-ignorable code points (variation
    /// selectors, Hangul fillers, tags…).
    /// </summary>
    private static bool IsVisible(Rune rune) =>
        rune != Rune.ReplacementChar
        && Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.Format or UnicodeCategory.Control
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate)
        && rune.Value is not (0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or (>= 0x180B and <= 0x180F) or 0x3164
            or (>= 0xFE00 and <= 0xFE0F) or 0xFFA0 or (>= 0xE0000 and <= 0xE0FFF));

    /// <summary>
    /// True when the letters of a local part come from more than one script, the way homographs are made
    /// (<c>kаte</c> with a Cyrillic <c>а</c>). Chinese, Japanese and Korean scripts may mix with each other and with
    /// Latin, as they do in real names. Scripts are told apart by their Unicode blocks, which is exact for the
    /// scripts whose letters are confused with Latin ones (Greek, Cyrillic); all other scripts count as one.
    /// </summary>
    private static bool MixesScripts(string local)
    {
        var scripts = local.EnumerateRunes().Where(Rune.IsLetter).Select(r => ScriptOf(r.Value)).ToHashSet();
        if (scripts.Remove(Script.Cjk))
        {
            scripts.Remove(Script.Latin);
            return scripts.Count > 0;
        }

        return scripts.Count > 1;
    }

    private static Script ScriptOf(int codePoint) => codePoint switch
    {
        < 0x0370 or (>= 0x1D00 and < 0x1DC0) or (>= 0x1E00 and < 0x1F00) or (>= 0x2C60 and < 0x2C80)
            or (>= 0xA720 and < 0xA800) or (>= 0xAB30 and < 0xAB70) => Script.Latin,
        < 0x0400 or (>= 0x1F00 and < 0x2000) => Script.Greek,
        < 0x0530 or (>= 0x1C80 and < 0x1C90) or (>= 0x2DE0 and < 0x2E00) or (>= 0xA640 and < 0xA6A0) => Script.Cyrillic,
        (>= 0x1100 and < 0x1200) or (>= 0x2E80 and < 0x2FE0) or (>= 0x3040 and < 0x3190) or (>= 0x31A0 and < 0x3200)
            or (>= 0x3400 and < 0xA000) or (>= 0xA960 and < 0xA980) or (>= 0xAC00 and < 0xD7B0) or (>= 0xF900 and < 0xFB00)
            or (>= 0x20000 and < 0x40000) => Script.Cjk,
        _ => Script.Other,
    };

    private enum Script
    {
        Latin,
        Greek,
        Cyrillic,
        Cjk,
        Other,
    }
}
