using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using AuthCluster.Grains.Customers;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Passwords;

namespace AuthCluster.Grains.Import;

/// <summary>Why a line of an import file is not accepted: the field as the file names it (or <c>line</c>) and the reason.</summary>
public sealed record ImportProblem(string Field, string Message);

/// <summary>
/// One customer of an import file in JSON Lines, validated:
/// <c>{"shop_id": 1, "email": "…", "first_name": "…", "last_name": "…", "gender": "m|f|d", "password_hash": "…",
/// "created_at": "ISO 8601", "external_id": "…", "customer_id": "uuid"}</c>, the last five optional. A line either
/// parses completely or yields every problem it has, so one pass over a file reports all of them.
/// </summary>
/// <param name="PasswordHash">Another system's hash, verified once and replaced at the first login.</param>
/// <param name="AuthClusterHash">An AuthCluster hash from an export (<see cref="OwnPasswordHash"/>), in its stored form.</param>
/// <param name="CustomerId">AuthCluster's id of the customer (the tokens' <c>sub</c>), as an export writes it.</param>
public sealed record CustomerImportLine(
    long ShopId,
    string Email,
    string FirstName,
    string LastName,
    string? Gender,
    ImportedPasswordHash? PasswordHash,
    DateTimeOffset? CreatedAt,
    string? ExternalId,
    string? AuthClusterHash = null,
    Guid? CustomerId = null)
{
    /// <summary>The same bound as a request body: no legitimate customer line comes near it.</summary>
    public const int MaxLineLength = 16 * 1024;

    public const int MaxExternalIdLength = 255;

    /// <summary>The customer's email index key, normalized as registration normalizes it.</summary>
    public string EmailIndexKey => EmailAddress.IndexKey(ShopId, Email);

    /// <summary>
    /// The id the customer gets when the import creates the account: the one the line names, else one derived
    /// from the email index key, so that importing the same file again addresses the same rows.
    /// </summary>
    public Guid AccountId => CustomerId ?? ImportedCustomerId.For(EmailIndexKey);

    /// <summary>What goes into <see cref="CustomerState.PasswordHash"/>; null when the line has no password.</summary>
    public string? StoredPasswordHash => AuthClusterHash ?? PasswordHash?.ToStored();

    /// <summary>The state of the account this line creates; <paramref name="now"/> stands in for a missing <c>created_at</c>.</summary>
    public CustomerState NewState(DateTimeOffset now)
    {
        var state = new CustomerState
        {
            ShopId = ShopId,
            CreatedAt = CreatedAt ?? now,
            PasswordHash = StoredPasswordHash ?? "",
        };
        ApplyProfile(state);
        return state;
    }

    /// <summary>
    /// Brings an existing account in line with this line (<c>--update</c>): profile, external id and a given
    /// <c>created_at</c> become the line's. The password is replaced only while the account has none or still holds
    /// an imported hash: once AuthCluster holds a hash of its own, the customer has logged in or chosen a password
    /// here, and an older file must not take it back. Sessions are kept; a replaced password voids a pending reset.
    /// </summary>
    public void ApplyTo(CustomerState state)
    {
        ApplyProfile(state);
        if (CreatedAt is { } createdAt)
        {
            state.CreatedAt = createdAt;
        }

        var replaceable = state.PasswordHash.Length == 0 || ImportedPasswordHash.IsStored(state.PasswordHash);
        if (StoredPasswordHash is { } hash && replaceable && hash != state.PasswordHash)
        {
            state.PasswordHash = hash;
            state.ResetKey = null;
        }
    }

    private void ApplyProfile(CustomerState state)
    {
        state.Email = Email;
        state.FirstName = FirstName;
        state.LastName = LastName;
        state.Gender = Gender;
        state.ExternalId = ExternalId;
    }

    public static bool TryParse(
        string line,
        [NotNullWhen(true)] out CustomerImportLine? customer,
        out IReadOnlyList<ImportProblem> problems)
    {
        customer = null;
        if (line.Length > MaxLineLength)
        {
            problems = [new ImportProblem("line", $"Is longer than {MaxLineLength} characters.")];
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            problems = [new ImportProblem("line", "Is not valid JSON.")];
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problems = [new ImportProblem("line", "Must be a JSON object.")];
                return false;
            }

            var reader = new LineReader(document.RootElement);
            customer = reader.Read();
            problems = reader.Problems;
            return customer is not null;
        }
    }

    /// <summary>Collects every problem of one line while reading its fields.</summary>
    private sealed class LineReader
    {
        private static readonly string[] Fields =
            ["shop_id", "email", "first_name", "last_name", "gender", "password_hash", "created_at", "external_id", "customer_id"];

        private readonly Dictionary<string, JsonElement> _values = new(StringComparer.Ordinal);
        private readonly List<ImportProblem> _problems = [];

        public LineReader(JsonElement root)
        {
            foreach (var property in root.EnumerateObject())
            {
                if (!Fields.Contains(property.Name, StringComparer.Ordinal))
                {
                    // A misspelt optional field would otherwise be dropped without a word.
                    Add(property.Name.Length > 64 ? property.Name[..64] + "…" : property.Name, "Is not a field of the import format.");
                }
                else if (!_values.TryAdd(property.Name, property.Value))
                {
                    Add(property.Name, "Appears more than once.");
                }
            }
        }

        public IReadOnlyList<ImportProblem> Problems => _problems;

        public CustomerImportLine? Read()
        {
            var shopId = ShopId();
            var email = Checked("email", RequiredText("email"), ProfileRules.CheckEmail);
            var firstName = Checked("first_name", RequiredText("first_name"), ProfileRules.CheckName);
            var lastName = Checked("last_name", RequiredText("last_name"), ProfileRules.CheckName);
            var gender = Gender();
            var (passwordHash, authClusterHash) = PasswordHash();
            var createdAt = CreatedAt();
            var externalId = ExternalId();
            var customerId = CustomerId();
            return _problems.Count == 0
                ? new CustomerImportLine(shopId, email, firstName, lastName, gender, passwordHash, createdAt, externalId, authClusterHash, customerId)
                : null;
        }

        private long ShopId()
        {
            if (!_values.TryGetValue("shop_id", out var value) || value.ValueKind == JsonValueKind.Null)
            {
                Add("shop_id", "Is required.");
                return 0;
            }

            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var shopId) || shopId <= 0)
            {
                Add("shop_id", "Must be a positive integer.");
                return 0;
            }

            return shopId;
        }

        private string RequiredText(string field)
        {
            var text = OptionalString(field);
            if (text is null && !_problems.Exists(p => p.Field == field))
            {
                Add(field, "Is required.");
            }
            else if (text is not null && string.IsNullOrWhiteSpace(text))
            {
                Add(field, "Must not be empty.");
            }

            return text?.Trim() ?? "";
        }

        /// <summary>Applies a rule to a value that is present and not blank (those have their problem already).</summary>
        private string Checked(string field, string value, Func<string, string?> rule)
        {
            if (value.Length > 0 && rule(value) is { } problem)
            {
                Add(field, problem);
            }

            return value;
        }

        private string? Gender()
        {
            var gender = OptionalString("gender");
            if (gender is not null && ProfileRules.CheckGender(gender) is { } problem)
            {
                Add("gender", problem);
            }

            return gender;
        }

        private (ImportedPasswordHash? Imported, string? Own) PasswordHash()
        {
            var value = OptionalString("password_hash");
            if (value is null)
            {
                return (null, null);
            }

            if (OwnPasswordHash.IsExported(value))
            {
                if (!OwnPasswordHash.TryFromExported(value, out var own, out var ownReason))
                {
                    Add("password_hash", ownReason);
                }

                return (null, own);
            }

            if (!ImportedPasswordHash.TryParse(value, out var hash, out var reason))
            {
                Add("password_hash", reason);
            }

            return (hash, null);
        }

        private Guid? CustomerId()
        {
            if (OptionalString("customer_id") is not { } text)
            {
                return null;
            }

            if (!Guid.TryParseExact(text, "D", out var id) || id == Guid.Empty)
            {
                Add("customer_id", "Must be a UUID such as 0b6e6c4e-5d8f-4a59-9a57-2f1f1b0c9d11.");
                return null;
            }

            return id;
        }

        private DateTimeOffset? CreatedAt()
        {
            if (OptionalString("created_at") is not { } text)
            {
                return null;
            }

            // An instant needs its offset: a local time would shift by wherever the import happens to run.
            if (!HasTimeAndOffset(text) || !_values["created_at"].TryGetDateTimeOffset(out var createdAt))
            {
                Add("created_at", "Must be an ISO 8601 date and time with an offset, e.g. 2024-05-01T12:00:00Z.");
                return null;
            }

            return createdAt.ToUniversalTime();
        }

        private string? ExternalId()
        {
            var externalId = OptionalString("external_id");
            if (externalId is null)
            {
                return null;
            }

            if (string.IsNullOrWhiteSpace(externalId))
            {
                Add("external_id", "Must not be empty when present.");
            }
            else if (externalId.EnumerateRunes().Count() > MaxExternalIdLength)
            {
                Add("external_id", $"Must be at most {MaxExternalIdLength} characters.");
            }
            else if (externalId.Any(char.IsControl))
            {
                Add("external_id", "Must not contain control characters.");
            }

            return externalId;
        }

        /// <summary>The field's string; null when absent or JSON null, and null with a problem when not a string.</summary>
        private string? OptionalString(string field)
        {
            if (!_values.TryGetValue(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                Add(field, "Must be a string.");
                return null;
            }

            return value.GetString();
        }

        private static bool HasTimeAndOffset(string text) =>
            text.Contains('T', StringComparison.Ordinal)
            && (text.EndsWith('Z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':'));

        private void Add(string field, string message) => _problems.Add(new ImportProblem(field, message));
    }
}
