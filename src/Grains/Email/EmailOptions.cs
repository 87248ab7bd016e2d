namespace AuthCluster.Grains.Email;

/// <summary>The <c>Email</c> configuration section.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";
    public const string SendGridProvider = "SendGrid";
    public const string PickupProvider = "Pickup";

    /// <summary><c>SendGrid</c> or <c>Pickup</c>. Defaults to <c>Pickup</c> in Development; required elsewhere.</summary>
    public string? Provider { get; set; }

    /// <summary>Sender address (<c>no-reply@shop.example</c> or <c>Shop &lt;no-reply@shop.example&gt;</c>).</summary>
    public string? From { get; set; }

    /// <summary>Folder of the pickup provider: one <c>.eml</c> file per email.</summary>
    public string PickupDirectory { get; set; } = "data/mail";

    public SendGridSettings SendGrid { get; set; } = new();

    public EmailRetryOptions Retry { get; set; } = new();

    public EmailTemplates Templates { get; set; } = new();

    public bool IsSendGrid => string.Equals(Provider, SendGridProvider, StringComparison.OrdinalIgnoreCase);
    public bool IsPickup => string.Equals(Provider, PickupProvider, StringComparison.OrdinalIgnoreCase);
}

public sealed class SendGridSettings
{
    public string? ApiKey { get; set; }

    /// <summary>Base URL of the v3 API; empty for SendGrid's own. Points at a proxy, or at a stand-in in tests.</summary>
    public string? Host { get; set; }

    /// <summary>How long one API call may take before it counts as a transient failure.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Back-off between delivery attempts: doubles from <see cref="InitialDelay"/> up to <see cref="MaxDelay"/>, until the hash expires.</summary>
public sealed class EmailRetryOptions
{
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan DelayAfter(int failedAttempts)
    {
        if (failedAttempts <= 0)
        {
            return TimeSpan.Zero;
        }

        var factor = 1L << Math.Min(failedAttempts - 1, 30);
        return TimeSpan.FromTicks(Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks));
    }
}

/// <summary>
/// The reset email's <c>Email:Templates:Default</c> and per-shop overrides <c>Email:Templates:Shops:{shopId}</c>; a
/// field a shop leaves out falls back to the default. Placeholders: <c>{link}</c> (the reset link) and
/// <c>{minutes}</c> (its lifetime). The password-changed notice has its own set under
/// <c>Email:Templates:PasswordChanged</c>.
/// </summary>
public sealed class EmailTemplates : EmailTemplateSet
{
    /// <summary>
    /// The notice sent after a password was changed by reset: <c>Email:Templates:PasswordChanged:Default</c> and
    /// <c>:Shops:{shopId}</c>. Placeholder: <c>{time}</c> (when the password was changed, UTC).
    /// </summary>
    public EmailTemplateSet PasswordChanged { get; set; } = new();
}

/// <summary>One email's default template and its per-shop overrides.</summary>
public class EmailTemplateSet
{
    public EmailTemplate Default { get; set; } = new();

    public Dictionary<string, EmailTemplate> Shops { get; set; } = [];

    /// <summary>The template of <paramref name="shopId"/>, each field it leaves out taken from the default.</summary>
    public EmailTemplate For(long shopId)
    {
        Shops.TryGetValue(shopId.ToString(System.Globalization.CultureInfo.InvariantCulture), out var shop);
        return new EmailTemplate
        {
            Subject = shop?.Subject ?? Default.Subject,
            Text = shop?.Text ?? Default.Text,
            Html = shop?.Html ?? Default.Html,
        };
    }
}

public sealed class EmailTemplate
{
    public string? Subject { get; set; }
    public string? Text { get; set; }
    public string? Html { get; set; }
}
