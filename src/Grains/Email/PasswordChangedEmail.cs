using System.Globalization;
using System.Net;

namespace AuthCluster.Grains.Email;

/// <summary>
/// Renders the notice that a password was changed (OWASP Forgot Password cheat sheet): it tells the owner, who may
/// not have asked for the change, and carries no link, hash or password — nothing an intercepted copy could use.
/// </summary>
public static class PasswordChangedEmail
{
    public const string DefaultSubject = "Your password was changed";

    public const string DefaultText =
        "Hello,\r\n\r\n" +
        "the password of the account with this email address was changed on {time} with a password reset link.\r\n\r\n" +
        "If that was you, there is nothing to do. If it was not, reset your password again right away and contact " +
        "the shop: every earlier login of the account has been signed out.\r\n";

    public const string DefaultHtml =
        "<!DOCTYPE html>\r\n<html><body style=\"font-family:sans-serif\">\r\n" +
        "<p>Hello,</p>\r\n" +
        "<p>the password of the account with this email address was changed on {time} with a password reset link.</p>\r\n" +
        "<p>If that was you, there is nothing to do. If it was not, reset your password again right away and contact " +
        "the shop: every earlier login of the account has been signed out.</p>\r\n</body></html>\r\n";

    /// <summary>How long delivery of the notice is retried before it is given up (and logged as an error).</summary>
    public static readonly TimeSpan DeliveryWindow = TimeSpan.FromDays(1);

    public static EmailMessage Render(EmailTemplates templates, long shopId, string messageId, string to, DateTimeOffset changedAt)
    {
        var template = templates.PasswordChanged.For(shopId);
        var time = changedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

        // The subject is a header: a template with a line break must not be able to add headers.
        var subject = (template.Subject ?? DefaultSubject).ReplaceLineEndings(" ");
        return new EmailMessage(
            messageId,
            to,
            Fill(subject, time),
            Fill(template.Text ?? DefaultText, time),
            Fill(template.Html ?? DefaultHtml, WebUtility.HtmlEncode(time)));
    }

    private static string Fill(string template, string time) => template.Replace("{time}", time, StringComparison.Ordinal);
}
