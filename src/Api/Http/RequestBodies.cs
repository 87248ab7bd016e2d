using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace AuthCluster.Api.Http;

/// <summary>
/// A typed request body. The reader checks the JSON shape of every member (absent, wrong type); the body's
/// <see cref="Validate"/> then applies the contract's rules. Handlers only ever see a body that passed both.
/// </summary>
public interface IRequestBody
{
    /// <summary>Applies the contract's rule to each field, by its contract (snake_case) name.</summary>
    void Validate(FieldChecks check);
}

/// <summary>
/// A request body sent as JSON: minimal APIs bind it through <see cref="RequestBodies.ReadJsonAsync{T}"/>, and its
/// metadata gives the OpenAPI document the body's schema (with the snake_case names the serializer uses).
/// </summary>
public interface IJsonBody<TSelf> : IRequestBody, IBindableFromHttpContext<TSelf>, IEndpointParameterMetadataProvider
    where TSelf : class, IJsonBody<TSelf>
{
    /// <summary>True where the body may be left out altogether (every member optional).</summary>
    static virtual bool IsOptional => false;

    static async ValueTask<TSelf?> IBindableFromHttpContext<TSelf>.BindAsync(HttpContext context, ParameterInfo parameter) =>
        await RequestBodies.ReadJsonAsync<TSelf>(context);

    static void IEndpointParameterMetadataProvider.PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder) =>
        builder.Metadata.Add(new AcceptsMetadata(["application/json"], typeof(TSelf), TSelf.IsOptional));
}

/// <summary>
/// Reads request bodies: within the size limit, as well-formed JSON, into a typed body whose problems are all
/// reported together in one <c>validation_error</c> naming each bad field. Hostile input (invalid UTF-8, lone
/// surrogates, deep nesting, wrong types) is a <c>400</c>, never a server error.
/// </summary>
public static class RequestBodies
{
    // Request bodies are flat objects; nothing legitimate nests deeper.
    private const int MaxDepth = 16;
    private static readonly JsonElement EmptyObject = JsonSerializer.Deserialize<JsonElement>("{}"u8);

    public static async Task<T> ReadJsonAsync<T>(HttpContext context) where T : class, IRequestBody =>
        Bind<T>(ParseObject(await ReadAsync(context)), SerializerOptions(context), PasswordMinLength(context));

    /// <summary>The body's bytes, refusing anything over the limit.</summary>
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

    /// <summary>A JSON object; an empty body counts as <c>{}</c> so that every required field is reported missing.</summary>
    public static JsonElement ParseObject(byte[] json, string notAnObject = "Must be a JSON object.")
    {
        if (json.Length == 0)
        {
            return EmptyObject;
        }

        if (!IsWellFormed(json))
        {
            throw new ApiException(ApiErrors.Validation("body", "Is not valid JSON."));
        }

        var root = JsonSerializer.Deserialize<JsonElement>(json);
        return root.ValueKind == JsonValueKind.Object
            ? root
            : throw new ApiException(ApiErrors.Validation("body", notAnObject));
    }

    /// <summary>
    /// Binds <typeparamref name="T"/> from <paramref name="root"/>: each member is absent (missing or null), of the
    /// wrong type, or present; the body's own rules see which, and every problem ends up in one error.
    /// </summary>
    public static T Bind<T>(JsonElement root, JsonSerializerOptions options, int passwordMinLength = PasswordPolicy.DefaultMinLength)
        where T : class, IRequestBody
    {
        var present = new JsonObject();
        var mistyped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in options.GetTypeInfo(typeof(T)).Properties)
        {
            if (!root.TryGetProperty(member.Name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (Fits(value, member.PropertyType, options))
            {
                present[member.Name] = JsonSerializer.SerializeToNode(value);
            }
            else
            {
                mistyped.Add(member.Name);
            }
        }

        // Built from the checked members only (under their exact names), so this cannot fail on the request's content.
        var body = present.Deserialize<T>(options)!;
        var check = new FieldChecks(present.Select(p => p.Key).ToHashSet(StringComparer.Ordinal), mistyped)
        {
            PasswordMinLength = passwordMinLength,
        };
        body.Validate(check);
        check.ThrowIfInvalid();
        return body;
    }

    private static bool Fits(JsonElement value, Type type, JsonSerializerOptions options)
    {
        try
        {
            value.Deserialize(type, options);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Syntax, depth, and text that decodes: a string with invalid UTF-8 or a lone surrogate escape (<c>\ud800</c>)
    /// parses, but fails only when read, so every name and string is read once here.
    /// </summary>
    private static bool IsWellFormed(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.String)
                {
                    _ = reader.GetString();
                }
            }

            return true;
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static int PasswordMinLength(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Passwords.MinLength;

    private static JsonSerializerOptions SerializerOptions(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
}
