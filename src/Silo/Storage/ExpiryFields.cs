using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AuthCluster.Grains.Customers;
using AuthCluster.Grains.PasswordResets;
using AuthCluster.Grains.Sessions;

namespace AuthCluster.Silo.Storage;

/// <summary>
/// What the expiry sweep reads from stored grain state: each state's name (its <c>grain_type</c>) and the JSON
/// members of its expiry data, taken from the state classes and from the storage serializer's own contract for
/// them. Renaming a property, or serializing it under another name, moves the sweep along; a property the
/// serializer does not write stops the silo at start instead of leaving rows behind for ever.
/// </summary>
internal sealed record ExpiryFields(
    ExpiryFields.SessionFields Session,
    ExpiryFields.GuestFields Guest,
    ExpiryFields.EmailIndexFields EmailIndex,
    ExpiryFields.PasswordResetFields PasswordReset)
{
    public sealed record SessionFields(string State, string ExpiresAt, string RevokedAt);

    public sealed record GuestFields(string State, string CreatedAt);

    public sealed record EmailIndexFields(string State, string CustomerId, string LastFailureAt);

    public sealed record PasswordResetFields(string State, string ExpiresAt);

    /// <param name="options">The options of the grain storage serializer, so that names come out as it writes them.</param>
    public static ExpiryFields From(JsonSerializerOptions options)
    {
        // A copy with the resolver serialization falls back on, so that the serializer's own options stay untouched.
        var json = new JsonSerializerOptions(options) { TypeInfoResolver = options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver() };
        return new(
            new SessionFields(SessionState.StateName,
                Member<SessionState>(json, nameof(SessionState.ExpiresAt)),
                Member<SessionState>(json, nameof(SessionState.RevokedAt))),
            new GuestFields(GuestState.StateName,
                Member<GuestState>(json, nameof(GuestState.CreatedAt))),
            new EmailIndexFields(EmailIndexState.StateName,
                Member<EmailIndexState>(json, nameof(EmailIndexState.CustomerId)),
                Member<EmailIndexState>(json, nameof(EmailIndexState.LastFailureAt))),
            new PasswordResetFields(PasswordResetState.StateName,
                Member<PasswordResetState>(json, nameof(PasswordResetState.ExpiresAt))));
    }

    /// <summary>The JSON name under which the serializer writes <paramref name="property"/> of <typeparamref name="TState"/>.</summary>
    private static string Member<TState>(JsonSerializerOptions json, string property) =>
        json.GetTypeInfo(typeof(TState)).Properties
            .SingleOrDefault(p => p.AttributeProvider is PropertyInfo info && info.Name == property)?.Name
        ?? throw new InvalidOperationException($"{typeof(TState).Name}.{property} is not written to storage, yet the expiry sweep reads it.");
}
