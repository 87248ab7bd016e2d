using System.Text.Encodings.Web;
using System.Text.Json;
using AuthCluster.Grains.Customers;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Passwords;
using AuthCluster.Silo.Storage;

namespace AuthCluster.Silo.Import;

/// <summary>
/// Writes customers as the JSON Lines an import reads, with AuthCluster's id (<c>customer_id</c>, the tokens' <c>sub</c>)
/// so that importing the file elsewhere keeps it. A password is written as the other system's value while the customer
/// has not logged in since an import (the next system verifies it as this one would have), else in the marked form of
/// AuthCluster's own scheme (<see cref="OwnPasswordHash"/>). Only customers their email leads to are written: a
/// registration that failed half-way can leave an unreachable customer row, and exporting it would offer two
/// accounts for one email. Streams: memory holds one batch.
/// </summary>
/// <param name="customers">Streams the customer rows.</param>
/// <param name="lookups">A second connection for the email index rows, read while the first one streams.</param>
internal sealed class CustomerExporter(GrainStateStore customers, GrainStateStore lookups)
{
    private const int BatchSize = 1_000;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Names in every script stay readable; the output is a data file, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public async Task<long> RunAsync(Stream output, long? shopId, CancellationToken ct)
    {
        await using var json = new Utf8JsonWriter(output, WriterOptions);
        var batch = new List<(Guid Id, CustomerState State)>(BatchSize);
        long written = 0;
        await foreach (var (id, payload) in customers.ReadAllAsync(CustomerState.StateName, ct))
        {
            var state = GrainStatePayload.Deserialize<CustomerState>(payload);
            if (shopId is null || state.ShopId == shopId)
            {
                batch.Add((id, state));
                if (batch.Count == BatchSize)
                {
                    written += await WriteBatchAsync(batch, json, output, ct);
                    batch.Clear();
                }
            }
        }

        written += await WriteBatchAsync(batch, json, output, ct);
        await output.FlushAsync(ct);
        return written;
    }

    private async Task<long> WriteBatchAsync(List<(Guid Id, CustomerState State)> batch, Utf8JsonWriter json, Stream output, CancellationToken ct)
    {
        var indexRows = await lookups.ReadManyAsync(
            [.. batch.Select(c => GrainStateRowId.ForString(EmailIndexState.StateName, EmailAddress.StoredIndexKey(c.State.ShopId, c.State.Email)))], ct);
        long written = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var owner = indexRows[i]?.Payload is { } payload ? GrainStatePayload.Deserialize<EmailIndexState>(payload).CustomerId : null;
            if (owner != batch[i].Id)
            {
                continue;
            }

            Write(json, batch[i].Id, batch[i].State);
            await json.FlushAsync(ct);
            json.Reset();
            output.WriteByte((byte)'\n');
            written++;
        }

        return written;
    }

    private static void Write(Utf8JsonWriter json, Guid id, CustomerState state)
    {
        json.WriteStartObject();
        json.WriteNumber("shop_id", state.ShopId);
        json.WriteString("email", state.Email);
        json.WriteString("first_name", state.FirstName);
        json.WriteString("last_name", state.LastName);
        if (state.Gender is { } gender)
        {
            json.WriteString("gender", gender);
        }

        if (ExportedHash(state.PasswordHash) is { } hash)
        {
            json.WriteString("password_hash", hash);
        }

        json.WriteString("created_at", state.CreatedAt.ToUniversalTime());
        if (state.ExternalId is { } externalId)
        {
            json.WriteString("external_id", externalId);
        }

        json.WriteString("customer_id", id);
        json.WriteEndObject();
    }

    private static string? ExportedHash(string stored) => stored.Length == 0
        ? null
        : ImportedPasswordHash.OriginalValue(stored) ?? OwnPasswordHash.ToExported(stored);
}
