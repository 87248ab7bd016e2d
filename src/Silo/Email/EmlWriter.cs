using System.Globalization;
using System.Text;
using AuthCluster.Grains.Email;

namespace AuthCluster.Silo.Email;

/// <summary>
/// Formats an email as an RFC 5322 / MIME message: <c>multipart/alternative</c> with a text and an HTML part.
/// Parts are UTF-8 in 8bit encoding so that a developer can read the link in the file as it is; a part with a
/// line too long for SMTP (998 octets) is quoted-printable instead.
/// </summary>
public static class EmlWriter
{
    private const int MaxLineOctets = 998;

    public static string Write(EmailMessage message, string from, DateTimeOffset date)
    {
        var boundary = "=_AuthCluster_" + Guid.NewGuid().ToString("N");
        var eml = new StringBuilder();
        Header(eml, "From", from);
        Header(eml, "To", message.To);
        Header(eml, "Subject", EncodeHeaderText(message.Subject));
        Header(eml, "Date", date.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture));
        Header(eml, "Message-ID", $"<{message.MessageId}@authcluster>");
        Header(eml, "MIME-Version", "1.0");
        Header(eml, "Content-Type", $"multipart/alternative; boundary=\"{boundary}\"");
        eml.Append("\r\nThis is a multi-part message in MIME format.\r\n");
        Part(eml, boundary, "text/plain", message.Text);
        Part(eml, boundary, "text/html", message.Html);
        eml.Append("--").Append(boundary).Append("--\r\n");
        return eml.ToString();
    }

    private static void Header(StringBuilder eml, string name, string value)
    {
        // Values come from configuration and validated input; a line break would still forge headers, so none pass.
        eml.Append(name).Append(": ").Append(value.ReplaceLineEndings(" ")).Append("\r\n");
    }

    private static void Part(StringBuilder eml, string boundary, string mediaType, string body)
    {
        var lines = body.ReplaceLineEndings("\n").Split('\n');
        var quoted = lines.Any(l => Encoding.UTF8.GetByteCount(l) > MaxLineOctets);
        eml.Append("--").Append(boundary).Append("\r\n");
        Header(eml, "Content-Type", $"{mediaType}; charset=utf-8");
        Header(eml, "Content-Transfer-Encoding", quoted ? "quoted-printable" : "8bit");
        eml.Append("\r\n");
        foreach (var line in lines)
        {
            eml.Append(quoted ? QuotedPrintable(line) : line).Append("\r\n");
        }
    }

    /// <summary>RFC 2047 encoded-words for a header with non-ASCII text; plain ASCII stays as it is.</summary>
    internal static string EncodeHeaderText(string text)
    {
        if (text.All(c => c is >= ' ' and <= '~'))
        {
            return text;
        }

        var words = new List<string>();
        var chunk = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            // At most 45 octets per word keeps every encoded line under 78 characters.
            if (Encoding.UTF8.GetByteCount(chunk.ToString()) + rune.Utf8SequenceLength > 45)
            {
                words.Add(EncodedWord(chunk.ToString()));
                chunk.Clear();
            }

            chunk.Append(rune.ToString());
        }

        if (chunk.Length > 0)
        {
            words.Add(EncodedWord(chunk.ToString()));
        }

        // Separated by plain spaces: Header() keeps every header on one line, and 998 octets leave room.
        return string.Join(" ", words);

        static string EncodedWord(string part) => $"=?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(part))}?=";
    }

    /// <summary>RFC 2045 §6.7 quoted-printable of one line, with soft breaks at 76 characters.</summary>
    internal static string QuotedPrintable(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var output = new StringBuilder();
        var column = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            var last = i == bytes.Length - 1;
            var literal = (b is >= 33 and <= 126 && b != (byte)'=') || (b is (byte)' ' or (byte)'\t' && !last);
            var token = literal ? ((char)b).ToString() : $"={b:X2}";
            if (column + token.Length > 75)
            {
                output.Append("=\r\n");
                column = 0;
            }

            output.Append(token);
            column += token.Length;
        }

        return output.ToString();
    }
}
