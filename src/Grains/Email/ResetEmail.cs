using System.Globalization;
using System.Net;

namespace AuthCluster.Grains.Email;

/// <summary>Renders the password-reset email from the configured templates.</summary>
public static class ResetEmail
{
    public const string DefaultSubject = "Reset your password";

    public const string DefaultText =
        "Hello,\r\n\r\n" +
        "someone (hopefully you) asked to reset the password of the account with this email address.\r\n\r\n" +
        "To choose a new password, open this link:\r\n\r\n{link}\r\n\r\n" +
        "The link works once and expires in {minutes} minutes. If you did not ask for it, ignore this email; " +
        "your password stays as it is.\r\n";

    public const string DefaultHtml =
        "<!DOCTYPE html>\r\n<html><body style=\"font-family:sans-serif\">\r\n" +
        "<p>Hello,</p>\r\n" +
        "<p>someone (hopefully you) asked to reset the password of the account with this email address.</p>\r\n" +
        "<p><a href=\"{link}\">Choose a new password</a></p>\r\n" +
        "<p>Or copy this link into your browser:<br>{link}</p>\r\n" +
        "<p>The link works once and expires in {minutes} minutes. If you did not ask for it, ignore this email; " +
        "your password stays as it is.</p>\r\n</body></html>\r\n";

    /// <summary>The link: <paramref name="resetUrl"/> with every <c>{hash}</c> replaced by the URL-encoded hash.</summary>
    public static string Link(string resetUrl, string hash) =>
        resetUrl.Replace("{hash}", Uri.EscapeDataString(hash), StringComparison.Ordinal);

    public static EmailMessage Render(EmailTemplates templates, long shopId, string messageId, string to, string link, TimeSpan lifetime)
    {
        var template = templates.For(shopId);
        var subject = template.Subject ?? DefaultSubject;
        var text = template.Text ?? DefaultText;
        var html = template.Html ?? DefaultHtml;
        var minutes = ((int)Math.Round(lifetime.TotalMinutes)).ToString(CultureInfo.InvariantCulture);

        // The subject is a header: a template with a line break must not be able to add headers.
        subject = subject.ReplaceLineEndings(" ").Replace("{minutes}", minutes, StringComparison.Ordinal);
        return new EmailMessage(
            messageId,
            to,
            subject,
            Fill(text, link, minutes),
            Fill(html, WebUtility.HtmlEncode(link), minutes));
    }

    private static string Fill(string template, string link, string minutes) =>
        template.Replace("{minutes}", minutes, StringComparison.Ordinal).Replace("{link}", link, StringComparison.Ordinal);
}
