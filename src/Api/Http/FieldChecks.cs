using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Api.Http;

/// <summary>
/// The contract's rules for request fields, applied by each body's <see cref="IRequestBody.Validate"/>. A rule
/// knows whether its field was absent or of the wrong type (from the reader) and reports that in its own words;
/// it checks the value only when the field was there. Collects every problem, so one <c>validation_error</c>
/// names all bad fields. Field names are the contract's (snake_case).
/// </summary>
public sealed class FieldChecks(IReadOnlySet<string> present, IReadOnlySet<string> mistyped)
{
    private const string NotAString = "Must be a string.";
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    /// <summary><c>Auth:Passwords:MinLength</c>, for <see cref="NewPassword"/>.</summary>
    public int PasswordMinLength { get; init; } = PasswordPolicy.DefaultMinLength;

    /// <summary>A required, non-blank string of at most <paramref name="maxLength"/> characters (code points).</summary>
    public void Text(string field, string value, int maxLength)
    {
        if (!Usable(field, required: true, NotAString))
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "Must not be empty.");
        }
        else if (value.EnumerateRunes().Count() > maxLength)
        {
            Add(field, $"Must be at most {maxLength} characters.");
        }
    }

    /// <summary>A required string with any value but the empty one (OAuth parameters).</summary>
    public void Required(string field) => Usable(field, required: true, NotAString);

    public void Name(string field, string value)
    {
        Text(field, value, ProfileRules.MaxNameLength);
        if (present.Contains(field) && value.Any(char.IsControl))
        {
            Add(field, "Must not contain control characters.");
        }
    }

    /// <summary>
    /// An email address that <see cref="EmailAddress"/> accepts (so it has a canonical form and an index key);
    /// leading and trailing spaces are allowed here and trimmed by the body.
    /// </summary>
    public void Email(string field, string value)
    {
        Text(field, value, EmailAddress.MaxLength);
        if (present.Contains(field) && !_errors.ContainsKey(field) && EmailAddress.Check(value) is { } problem)
        {
            Add(field, problem);
        }
    }

    /// <summary>A password presented at login: any non-empty string up to the maximum length (spaces count).</summary>
    public void Password(string field, string value)
    {
        if (!Usable(field, required: true, NotAString))
        {
            return;
        }

        if (value.Length == 0)
        {
            Add(field, "Is required.");
        }
        else if (value.EnumerateRunes().Count() > PasswordPolicy.MaxLength)
        {
            Add(field, $"Must be at most {PasswordPolicy.MaxLength} characters.");
        }
    }

    /// <summary>
    /// A new password, already <see cref="PasswordText.Normalize">normalized</see>: must also satisfy
    /// <see cref="PasswordPolicy"/> with the configured minimum length, and not contain any of the customer's
    /// <paramref name="contextWords"/> (asked only if nothing is wrong yet, so no message repeats).
    /// </summary>
    public void NewPassword(string field, string value, IEnumerable<string>? contextWords = null)
    {
        Password(field, value);
        if (present.Contains(field) && !_errors.ContainsKey(field)
            && (PasswordPolicy.Check(value, PasswordMinLength) ?? PasswordPolicy.CheckContext(value, contextWords ?? [])) is { } problem)
        {
            Add(field, problem);
        }
    }

    /// <summary>An optional string that, when given, must be one of <paramref name="allowed"/>.</summary>
    public void OneOf(string field, string? value, params string[] allowed)
    {
        if (Usable(field, required: false, NotAString) && !allowed.Contains(value, StringComparer.Ordinal))
        {
            Add(field, $"Must be one of {string.Join(", ", allowed)}.");
        }
    }

    public void PositiveId(string field, long value)
    {
        const string notPositive = "Must be a positive integer.";
        if (Usable(field, required: true, notPositive) && value <= 0)
        {
            Add(field, notPositive);
        }
    }

    public void Add(string field, string message) =>
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    /// <summary>Throws one <c>validation_error</c> naming every bad field, if any.</summary>
    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0)
        {
            throw new ApiException(ApiErrors.Validation(_errors));
        }
    }

    /// <summary>True when the field is there with the right type; otherwise reports why not (if that is a problem).</summary>
    private bool Usable(string field, bool required, string wrongType)
    {
        if (mistyped.Contains(field))
        {
            Add(field, wrongType);
            return false;
        }

        if (!present.Contains(field))
        {
            if (required)
            {
                Add(field, "Is required.");
            }

            return false;
        }

        return true;
    }
}
