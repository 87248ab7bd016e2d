using System.Reflection;
using System.Text.Json;
using AuthCluster.Api.Clients;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace AuthCluster.Api.Http;

/// <summary>
/// A request to an OAuth endpoint: its parameters from an <c>application/x-www-form-urlencoded</c> or JSON body
/// as <typeparamref name="TBody"/>, and the client authenticated by HTTP Basic or by <c>client_id</c>/<c>client_secret</c>
/// among the parameters (authentication comes before the parameters are validated).
/// </summary>
public sealed class OAuthRequest<TBody>(ApiClient client, TBody body) : IBindableFromHttpContext<OAuthRequest<TBody>>, IEndpointParameterMetadataProvider
    where TBody : class, IRequestBody
{
    private const string FormMediaType = "application/x-www-form-urlencoded";

    public ApiClient Client { get; } = client;
    public TBody Body { get; } = body;

    static async ValueTask<OAuthRequest<TBody>?> IBindableFromHttpContext<OAuthRequest<TBody>>.BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var bytes = await RequestBodies.ReadAsync(context);
        var parameters = IsForm(context.Request) ? ParseForm(bytes) : ParseJson(bytes);
        var client = context.RequestServices.GetRequiredService<ApiClientRegistry>().Authenticate(context.Request, parameters);

        // RFC 6749 §3.1: a parameter sent without a value is treated as if it were omitted.
        var given = parameters.Where(p => p.Value.Length > 0).ToDictionary(StringComparer.Ordinal);
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return new OAuthRequest<TBody>(client, RequestBodies.Bind<TBody>(JsonSerializer.SerializeToElement(given), options));
    }

    static void IEndpointParameterMetadataProvider.PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
    {
        builder.Metadata.Add(new AcceptsMetadata([FormMediaType, "application/json"], typeof(TBody)));
        builder.Metadata.Add(ClientAuthenticationMetadata.BasicOrBody);
    }

    private static bool IsForm(HttpRequest request) =>
        request.ContentType?.StartsWith(FormMediaType, StringComparison.OrdinalIgnoreCase) == true;

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

    /// <summary>OAuth parameters are strings, so in a JSON body every member must be a string (or null, meaning absent).</summary>
    private static Dictionary<string, string> ParseJson(byte[] bytes)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var member in RequestBodies.ParseObject(bytes, "Must be a JSON object or a form.").EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.String)
            {
                fields[member.Name] = member.Value.GetString()!;
            }
            else if (member.Value.ValueKind != JsonValueKind.Null)
            {
                errors[member.Name] = ["Must be a string."];
            }
        }

        return errors.Count == 0 ? fields : throw new ApiException(ApiErrors.Validation(errors));
    }
}
