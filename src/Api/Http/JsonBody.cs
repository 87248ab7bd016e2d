using System.Net.Mail;
using System.Text.Json;
using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Api.Http;

/// <summary>
/// A JSON request body read within the size limit, with field readers that collect every problem so that
/// one <c>validation_error</c> names all bad fields. Bound by minimal APIs through <see cref="BindAsync"/>.
/// </summary>
public sealed class JsonBody
{
    private const int MaxNameLength = 100;
    private const int MaxEmailLength = 254;
    private readonly JsonElement _root;
    private readonly Dictionary<string, string[]> _errors = [];

    private JsonBody(JsonElement root) => _root = root;

    /// <summary>True when the request had no body at all (allowed where every field is optional).</summary>
    public bool IsEmpty => _root.ValueKind == JsonValueKind.Undefined;

    public static async ValueTask<JsonBody> BindAsync(HttpContext context)
    {
        var bytes = await RequestBody.ReadAsync(context);
        if (bytes.Length == 0)
        {
            return new JsonBody(default);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ApiException(ApiErrors.Validation("body", "Must be a JSON object."));
            }

            return new JsonBody(document.RootElement.Clone());
        }
        catch (JsonException)
        {
            throw new ApiException(ApiErrors.Validation("body", "Is not valid JSON."));
        }
    }

    public string? OptionalString(string field) => ReadString(field, required: false);

    public string RequiredString(string field, int maxLength)
    {
        var text = ReadString(field, required: true);
        if (text is null)
        {
            return "";
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            AddError(field, "Must not be empty.");
        }
        else if (text.EnumerateRunes().Count() > maxLength)
        {
            AddError(field, $"Must be at most {maxLength} characters.");
        }

        return text;
    }

    public string Name(string field)
    {
        var name = RequiredString(field, MaxNameLength);
        if (name.Any(char.IsControl))
        {
            AddError(field, "Must not contain control characters.");
        }

        return name.Trim();
    }

    public string Email(string field = "email")
    {
        var email = RequiredString(field, MaxEmailLength);
        var trimmed = email.Trim();
        if (trimmed.Length > 0 && !IsEmail(trimmed))
        {
            AddError(field, "Must be an email address.");
        }

        return trimmed;
    }

    /// <summary>A new password: must satisfy <see cref="PasswordPolicy"/>.</summary>
    public string NewPassword(string field = "password")
    {
        var password = PresentedPassword(field);
        if (password.Length > 0 && PasswordPolicy.Check(password) is { } problem)
        {
            AddError(field, problem);
        }

        return password;
    }

    /// <summary>A password presented at login: any non-empty string up to the maximum length (spaces count).</summary>
    public string PresentedPassword(string field = "password")
    {
        var password = ReadString(field, required: true);
        if (password is null)
        {
            return "";
        }

        if (password.Length == 0)
        {
            AddError(field, "Is required.");
        }
        else if (password.EnumerateRunes().Count() > PasswordPolicy.MaxLength)
        {
            AddError(field, $"Must be at most {PasswordPolicy.MaxLength} characters.");
        }

        return password;
    }

    public string? Gender(string field = "gender")
    {
        var gender = OptionalString(field);
        if (gender is not null and not ("m" or "f" or "d"))
        {
            AddError(field, "Must be one of m, f, d.");
            return null;
        }

        return gender;
    }

    public long ShopId(string field = "shop_id")
    {
        if (!TryGet(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            AddError(field, "Is required.");
            return 0;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var shopId) || shopId <= 0)
        {
            AddError(field, "Must be a positive integer.");
            return 0;
        }

        return shopId;
    }

    /// <summary>Throws one <c>validation_error</c> naming every bad field, if any.</summary>
    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0)
        {
            throw new ApiException(ApiErrors.Validation(_errors));
        }
    }

    public void AddError(string field, string message) =>
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    /// <summary>The field's string value; null (with an error where one is due) when absent, null or not a string.</summary>
    private string? ReadString(string field, bool required)
    {
        if (!TryGet(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                AddError(field, "Is required.");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            AddError(field, "Must be a string.");
            return null;
        }

        return value.GetString();
    }

    private bool TryGet(string field, out JsonElement value)
    {
        value = default;
        return _root.ValueKind == JsonValueKind.Object && _root.TryGetProperty(field, out value);
    }

    private static bool IsEmail(string email) =>
        email.Count(c => c == '@') == 1
        && !email.Any(char.IsWhiteSpace)
        && MailAddress.TryCreate(email, out var address)
        && address.Address == email
        && address.Host.Contains('.', StringComparison.Ordinal);
}

/// <summary>Reads a request body into memory, refusing anything over the limit.</summary>
public static class RequestBody
{
    public static async Task<byte[]> ReadAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > RequestLimits.MaxBodyBytes)
            {
                throw new ApiException(ApiErrors.PayloadTooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

/// <summary>
/// The end customer's context forwarded by the shop backend (<c>X-Customer-IP</c>,
/// <c>X-Customer-User-Agent</c>), falling back to the connection's remote address.
/// </summary>
public sealed record CustomerContext(string? Ip, string? UserAgent)
{
    private const int MaxUserAgentLength = 512;

    public static CustomerContext From(HttpContext context)
    {
        var forwarded = context.Request.Headers["X-Customer-IP"].ToString().Trim();
        var ip = System.Net.IPAddress.TryParse(forwarded, out var address)
            ? address.ToString()
            : context.Connection.RemoteIpAddress?.ToString();
        var userAgent = context.Request.Headers["X-Customer-User-Agent"].ToString();
        return new CustomerContext(ip, userAgent.Length == 0 ? null : userAgent[..Math.Min(userAgent.Length, MaxUserAgentLength)]);
    }

    public static ValueTask<CustomerContext> BindAsync(HttpContext context) => ValueTask.FromResult(From(context));

    public string PartitionKey => Ip ?? "unknown";
}
