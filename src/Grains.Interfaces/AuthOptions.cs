using System.ComponentModel.DataAnnotations;
using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Grains.Interfaces;

/// <summary>The <c>Auth</c> configuration section, shared by API nodes and silos.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    [Required, Url]
    public string Issuer { get; set; } = "http://localhost:5080";

    [Required]
    public string Audience { get; set; } = "checkout";

    [Required]
    public SigningOptions Signing { get; set; } = new();

    [Required]
    public TokenOptions Tokens { get; set; } = new();

    [Required]
    public PasswordOptions Passwords { get; set; } = new();

    [Required]
    public ThrottlingOptions Throttling { get; set; } = new();

    [Required]
    public SessionOptions Sessions { get; set; } = new();

    [Required]
    public PasswordResetOptions PasswordReset { get; set; } = new();
}

public sealed class SigningOptions
{
    public static readonly string[] SupportedAlgorithms = ["ES256", "PS256", "RS256"];

    [Required]
    public string Algorithm { get; set; } = "ES256";

    /// <summary>
    /// Base64 of 32 random bytes that encrypt the signing keys at rest: the single KEK of a configuration without
    /// <see cref="Keks"/>, whose id is <see cref="KeyEncryption.ImplicitKekId"/>. A KEK is required outside Development.
    /// </summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>KEKs by id (<c>Auth:Signing:Keks:&lt;id&gt;</c>, base64 of 32 random bytes each), for KEK rotation.</summary>
    public Dictionary<string, string> Keks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The id of the KEK that encrypts new keys; may be left out when only one KEK is configured.</summary>
    public string? CurrentKek { get; set; }

    /// <summary>How long one key signs before the next one takes over.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a new key is published in the JWKS before it signs, so that every validator's
    /// cached JWKS knows it first. Must exceed the JWKS cache lifetime.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan PublishLead { get; set; } = TimeSpan.FromHours(1);
}

public sealed class TokenOptions
{
    [Range(typeof(TimeSpan), "00:00:10", "31.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(60);

    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan RefreshReuseGrace { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class PasswordOptions
{
    [Range(4, 31)]
    public int BcryptCost { get; set; } = 11;

    /// <summary>
    /// Fewest characters (code points, after NFKC) of a new password. Never below 8 (NIST SP 800-63B); at most 64,
    /// so that the 128-character maximum still leaves room for passphrases.
    /// </summary>
    [Range(PasswordPolicy.DefaultMinLength, 64)]
    public int MinLength { get; set; } = PasswordPolicy.DefaultMinLength;
}

public sealed class ThrottlingOptions
{
    [Range(1, 1000)]
    public int FreeFailures { get; set; } = 5;

    /// <summary>The first delay after the free failures; each further failure doubles it up to <see cref="MaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(15);
}

public sealed class SessionOptions
{
    /// <summary>Active sessions kept per customer or guest; starting one more revokes the oldest.</summary>
    [Range(1, 1000)]
    public int MaxPerCustomer { get; set; } = 50;
}

public sealed class PasswordResetOptions
{
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan HashLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Reset emails per shop and email within <see cref="RequestWindow"/>; further requests still answer 202 but
    /// send nothing, so a caller cannot flood a mailbox (and cannot tell whether the account exists).
    /// </summary>
    [Range(1, 1000)]
    public int MaxEmailsPerWindow { get; set; } = 3;

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RequestWindow { get; set; } = TimeSpan.FromHours(1);
}
