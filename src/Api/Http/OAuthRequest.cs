using System.Text.Json;
using AuthCluster.Api.Clients;
using Microsoft.AspNetCore.WebUtilities;

namespace AuthCluster.Api.Http;

/// <summary>
/// A request to an OAuth endpoint: fields from an <c>application/x-www-form-urlencoded</c> or JSON body, and
/// the client authenticated by HTTP Basic or by <c>client_id</c>/<c>client_secret</c> in the body.
/// </summary>
public sealed class OAuthRequest
{
    private readonly IReadOnlyDictionary<string, string> _fields;

    private OAuthRequest(ApiClient client, IReadOnlyDictionary<string, string> fields)
    {
        Client = client;
        _fields = fields;
    }

    public ApiClient Client { get; }

    public string? this[string field] => _fields.TryGetValue(field, out var value) && value.Length > 0 ? value : null;

    public static async ValueTask<OAuthRequest> BindAsync(HttpContext context)
    {
        var bytes = await RequestBody.ReadAsync(context);
        var fields = IsForm(context.Request) ? ParseForm(bytes) : ParseJson(bytes);
        var client = context.RequestServices.GetRequiredService<ApiClientRegistry>().Authenticate(context.Request, fields);
        return new OAuthRequest(client, fields);
    }

    /// <summary>The value of a required field; a missing one is a <c>validation_error</c>.</summary>
    public string Required(string field) =>
        this[field] ?? throw new ApiException(ApiErrors.Validation(field, "Is required."));

    private static bool IsForm(HttpRequest request) =>
        request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true;

    private static Dictionary<string, string> ParseForm(byte[] bytes)
    {
        var parsed = QueryHelpers.ParseQuery(System.Text.Encoding.UTF8.GetString(bytes));
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in parsed)
        {
            // RFC 6749 §3.2: request parameters must not be repeated.
            if (values.Count != 1)
            {
                throw new ApiException(ApiErrors.Validation(name, "Must be given once."));
            }

            fields[name] = values[0]!;
        }

        return fields;
    }

    private static Dictionary<string, string> ParseJson(byte[] bytes)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (bytes.Length == 0)
        {
            return fields;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ApiException(ApiErrors.Validation("body", "Must be a JSON object or a form."));
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    fields[property.Name] = property.Value.GetString()!;
                }
                else if (property.Value.ValueKind != JsonValueKind.Null)
                {
                    throw new ApiException(ApiErrors.Validation(property.Name, "Must be a string."));
                }
            }
        }
        catch (JsonException)
        {
            throw new ApiException(ApiErrors.Validation("body", "Is not valid JSON."));
        }

        return fields;
    }
}
