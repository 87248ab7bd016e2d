using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Passwords;

namespace AuthCluster.Grains.Import;

/// <summary>Why a line of an import file is not accepted: the field as the file names it (or <c>line</c>) and the reason.</summary>
public sealed record ImportProblem(string Field, string Message);

/// <summary>
/// One customer of an import file in JSON Lines, validated:
/// <c>{"shop_id": 1, "email": "…", "first_name": "…", "last_name": "…", "gender": "m|f|d", "password_hash": "…",
/// "created_at": "ISO 8601", "external_id": "…"}</c>, the last four optional. A line either parses completely
/// or yields every problem it has, so one pass over a file reports all of them.
/// </summary>
public sealed record CustomerImportLine(
    long ShopId,
    string Email,
    string FirstName,
    string LastName,
    string? Gender,
    ImportedPasswordHash? PasswordHash,
    DateTimeOffset? CreatedAt,
    string? ExternalId)
{
    /// <summary>The same bound as a request body: no legitimate customer line comes near it.</summary>
    public const int MaxLineLength = 16 * 1024;

    public const int MaxExternalIdLength = 255;

    /// <summary>The customer's email index key, normalized as registration normalizes it.</summary>
    public string EmailIndexKey => EmailAddress.IndexKey(ShopId, Email);

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
            ["shop_id", "email", "first_name", "last_name", "gender", "password_hash", "created_at", "external_id"];

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
            var email = Email();
            var firstName = RequiredText("first_name");
            var lastName = RequiredText("last_name");
            var gender = Gender();
            var passwordHash = PasswordHash();
            var createdAt = CreatedAt();
            var externalId = ExternalId();
            return _problems.Count == 0
                ? new CustomerImportLine(shopId, email, firstName, lastName, gender, passwordHash, createdAt, externalId)
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

        /// <summary>An address that registration would accept, so that the customer can log in with it.</summary>
        private string Email()
        {
            var email = RequiredText("email");
            if (email.Length > 0 && EmailAddress.Check(email) is { } problem)
            {
                Add("email", problem);
            }

            return email;
        }

        private string? Gender()
        {
            var gender = OptionalString("gender");
            if (gender is not null and not ("m" or "f" or "d"))
            {
                Add("gender", "Must be one of m, f, d.");
            }

            return gender;
        }

        private ImportedPasswordHash? PasswordHash()
        {
            var value = OptionalString("password_hash");
            if (value is null)
            {
                return null;
            }

            if (!ImportedPasswordHash.TryParse(value, out var hash, out var reason))
            {
                Add("password_hash", reason);
            }

            return hash;
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
