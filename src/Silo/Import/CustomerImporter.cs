using System.Threading.Channels;
using AuthCluster.Grains.Customers;
using AuthCluster.Grains.Import;
using AuthCluster.Silo.Storage;

namespace AuthCluster.Silo.Import;

/// <summary>What became of one line of an import file.</summary>
internal enum LineOutcome
{
    Imported,
    Updated,

    /// <summary><c>--update</c> found the account already as the line describes it.</summary>
    Unchanged,

    /// <summary>The account is the one this line (or an earlier run, or an earlier line) created.</summary>
    AlreadyImported,

    /// <summary>Another account has this email in this shop; skipped without <c>--update</c>.</summary>
    Exists,

    Rejected,
}

/// <summary>Where an import tells about lines as it goes (rejected and skipped ones) and about its progress.</summary>
internal interface IImportObserver
{
    void LineDone(long line, LineOutcome outcome, IReadOnlyList<ImportProblem> problems);

    void Progress(long lines, long bytesRead);
}

/// <summary>
/// Imports customers from JSON Lines (see <see cref="CustomerImportLine"/>) into grain storage, in batches of one
/// transaction each. New accounts — the common case — go in with the store's bulk insert; lines whose email already
/// has a row take the single-row path, which reads and writes with the grains' own version checks. Every account
/// gets a deterministic id (<see cref="CustomerImportLine.AccountId"/>) and exists only once its email index row
/// does, so a re-run changes nothing and an interrupted run is finished by running it again. Memory holds one batch.
/// </summary>
internal sealed class CustomerImporter(GrainStateStore store, bool update, TimeProvider time, int batchSize)
{
    /// <summary>How often a single row is retried when the running service changes it between read and write.</summary>
    private const int Attempts = 3;

    public async Task<ImportSummary> RunAsync(Stream input, IImportObserver observer, CancellationToken ct)
    {
        // Reading and parsing (CPU) overlap with writing (mostly the database): two batches in flight at most.
        var summary = new ImportSummary();
        var batches = Channel.CreateBounded<List<PendingLine>>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writing = WriteAllAsync(batches.Reader, summary, observer, stop);
        Exception? readFailure = null;
        try
        {
            await ReadAllAsync(input, batches.Writer, summary, observer, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C, or the writing side failed and stopped the reading.
        }
        catch (IOException exception)
        {
            readFailure = exception;
            await stop.CancelAsync();
        }
        finally
        {
            batches.Writer.TryComplete();
        }

        var failure = await writing ?? readFailure;
        summary.Completed = failure is null && !stop.IsCancellationRequested;
        if (!summary.Completed)
        {
            // Everything up to the last committed batch stays; re-running the same file finishes the rest.
            summary.StoppedAtLine = summary.CommittedThrough + 1;
            summary.Failure = failure?.Message;
        }

        return summary;
    }

    private async Task ReadAllAsync(Stream input, ChannelWriter<List<PendingLine>> batches, ImportSummary summary, IImportObserver observer, CancellationToken ct)
    {
        using var reader = new BoundedLineReader(input, CustomerImportLine.MaxLineLength);
        var batch = new List<PendingLine>(batchSize);
        long number = 0;
        while (await reader.ReadLineAsync(ct) is { } text)
        {
            number++;
            if (reader.TooLong)
            {
                Reject(summary, observer, number, [new ImportProblem("line", $"Is longer than {CustomerImportLine.MaxLineLength} characters.")]);
            }
            else if (string.IsNullOrWhiteSpace(text))
            {
                // Blank lines (a trailing newline, spacing) carry no customer.
            }
            else if (!CustomerImportLine.TryParse(text, out var customer, out var problems))
            {
                Reject(summary, observer, number, problems);
            }
            else
            {
                batch.Add(new PendingLine(number, customer, NewRows(customer, time.GetUtcNow())));
                if (batch.Count == batchSize)
                {
                    await batches.WriteAsync(batch, ct);
                    batch = new List<PendingLine>(batchSize);
                }
            }

            summary.Lines = number;
            observer.Progress(number, reader.BytesRead);
        }

        if (batch.Count > 0)
        {
            await batches.WriteAsync(batch, ct);
        }
    }

    /// <summary>Writes batch after batch; the failure that stopped it, if any (an interruption is none).</summary>
    private async Task<Exception?> WriteAllAsync(ChannelReader<List<PendingLine>> batches, ImportSummary summary, IImportObserver observer, CancellationTokenSource stop)
    {
        try
        {
            await foreach (var batch in batches.ReadAllAsync(stop.Token))
            {
                await WriteBatchAsync(batch, summary, observer, stop.Token);
                summary.CommittedThrough = batch[^1].Number;
            }

            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException or GrainStateStoreException or System.Text.Json.JsonException)
        {
            await stop.CancelAsync();
            return exception;
        }
    }

    private static void Reject(ImportSummary summary, IImportObserver observer, long number, IReadOnlyList<ImportProblem> problems)
    {
        summary.Count(LineOutcome.Rejected, problems);
        observer.LineDone(number, LineOutcome.Rejected, problems);
    }

    private async Task WriteBatchAsync(List<PendingLine> batch, ImportSummary summary, IImportObserver observer, CancellationToken ct)
    {
        var now = time.GetUtcNow();

        // The bulk insert takes each email and each account id once; a line repeating either follows through the
        // single-row path, after the first has been written.
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var ids = new HashSet<Guid>();
        var fresh = new List<PendingLine>(batch.Count);
        var single = new List<PendingLine>();
        foreach (var line in batch)
        {
            (keys.Add(line.Customer.EmailIndexKey) & ids.Add(line.Customer.AccountId) ? fresh : single).Add(line);
        }

        var results = new Dictionary<long, LineResult>(batch.Count);
        await store.BeginAsync(ct);
        try
        {
            var inserted = await store.InsertAccountsAsync([.. fresh.Select(l => l.Rows)], ct);
            var existing = new List<PendingLine>();
            for (var i = 0; i < fresh.Count; i++)
            {
                switch (inserted[i])
                {
                    case NewAccountOutcome.Inserted:
                        results[fresh[i].Number] = LineResult.Of(LineOutcome.Imported);
                        break;
                    case NewAccountOutcome.IndexExists:
                        existing.Add(fresh[i]);
                        break;
                    default:
                        single.Add(fresh[i]);
                        break;
                }
            }

            // Most emails that exist are settled by their index row alone: skipped, unless --update asks for more.
            var indexRows = await store.ReadManyAsync([.. existing.Select(l => l.Rows.Index)], ct);
            for (var i = 0; i < existing.Count; i++)
            {
                var owner = indexRows[i]?.Payload is { } payload ? GrainStatePayload.Deserialize<EmailIndexState>(payload).CustomerId : null;
                if (owner is null || update)
                {
                    single.Add(existing[i]);
                }
                else
                {
                    results[existing[i].Number] = LineResult.Of(owner == existing[i].Customer.AccountId ? LineOutcome.AlreadyImported : LineOutcome.Exists);
                }
            }

            foreach (var line in single.OrderBy(l => l.Number))
            {
                results[line.Number] = await ImportOneAsync(line.Customer, now, ct);
            }

            await store.CommitAsync(ct);
        }
        catch
        {
            await store.RollbackAsync();
            throw;
        }

        foreach (var (number, result) in results.OrderBy(r => r.Key))
        {
            summary.Count(result.Outcome, result.Problems);
            observer.LineDone(number, result.Outcome, result.Problems);
        }
    }

    /// <summary>One line through the grains' read-check-write cycle; retried when the running service wrote in between.</summary>
    private async Task<LineResult> ImportOneAsync(CustomerImportLine line, DateTimeOffset now, CancellationToken ct)
    {
        var indexId = IndexRow(line);
        var createdCustomer = false;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var index = await store.ReadAsync(indexId, ct);
            var indexState = index?.Payload is { } payload ? GrainStatePayload.Deserialize<EmailIndexState>(payload) : new EmailIndexState();
            if (indexState.CustomerId is { } owner)
            {
                if (!update)
                {
                    return LineResult.Of(owner == line.AccountId ? LineOutcome.AlreadyImported : LineOutcome.Exists);
                }

                if (await UpdateAsync(line, owner, ct) is { } updated)
                {
                    return updated;
                }

                continue;
            }

            // No account has this email: create one. Its customer row first (within the transaction, so nobody sees
            // it before the index row), then the index row that makes it reachable.
            if (!createdCustomer)
            {
                var customerId = CustomerRow(line.AccountId);
                var customer = await store.ReadAsync(customerId, ct);
                if (customer?.Payload is not null)
                {
                    return LineResult.Reject(line.CustomerId is null
                        ? new ImportProblem("email", "The account id derived from this email belongs to an account that the email does not lead to; not imported.")
                        : new ImportProblem("customer_id", "Belongs to another account."));
                }

                if (await store.WriteAsync(customerId, GrainStatePayload.Serialize(line.NewState(now)), customer?.Version, ct) is null)
                {
                    continue;
                }

                createdCustomer = true;
            }

            indexState.CustomerId = line.AccountId;
            if (await store.WriteAsync(indexId, GrainStatePayload.Serialize(indexState), index?.Version, ct) is not null)
            {
                return LineResult.Of(LineOutcome.Imported);
            }
        }

        return LineResult.Reject(new ImportProblem("line", "The running service changed this account while it was imported; run the import again."));
    }

    /// <summary>The <c>--update</c> of an existing account; null when the service wrote it in between (try again).</summary>
    private async Task<LineResult?> UpdateAsync(CustomerImportLine line, Guid owner, CancellationToken ct)
    {
        var customerId = CustomerRow(owner);
        if (await store.ReadAsync(customerId, ct) is not { Payload: { } payload } customer)
        {
            // An email index that leads to no customer row: the account is gone; leave it alone.
            return LineResult.Of(LineOutcome.Exists);
        }

        var state = GrainStatePayload.Deserialize<CustomerState>(payload);
        var before = GrainStatePayload.Serialize(state);
        line.ApplyTo(state);
        var after = GrainStatePayload.Serialize(state);
        if (before.AsSpan().SequenceEqual(after))
        {
            return LineResult.Of(LineOutcome.Unchanged);
        }

        return await store.WriteAsync(customerId, after, customer.Version, ct) is null ? null : LineResult.Of(LineOutcome.Updated);
    }

    private static NewAccountRows NewRows(CustomerImportLine line, DateTimeOffset now) => new(
        IndexRow(line),
        GrainStatePayload.Serialize(new EmailIndexState { CustomerId = line.AccountId }),
        CustomerRow(line.AccountId),
        GrainStatePayload.Serialize(line.NewState(now)));

    private static GrainStateRowId IndexRow(CustomerImportLine line) => GrainStateRowId.ForString(EmailIndexState.StateName, line.EmailIndexKey);

    private static GrainStateRowId CustomerRow(Guid id) => GrainStateRowId.ForGuid(CustomerState.StateName, id);

    private sealed record PendingLine(long Number, CustomerImportLine Customer, NewAccountRows Rows);

    private sealed record LineResult(LineOutcome Outcome, IReadOnlyList<ImportProblem> Problems)
    {
        public static LineResult Of(LineOutcome outcome) => new(outcome, []);

        public static LineResult Reject(ImportProblem problem) => new(LineOutcome.Rejected, [problem]);
    }
}

/// <summary>The counts an import ends with.</summary>
internal sealed class ImportSummary
{
    /// <summary>Distinct rejection reasons kept; a file of endlessly varied bad lines must not grow memory.</summary>
    private const int MaxReasons = 100;

    private readonly Dictionary<string, long> _rejectedByReason = new(StringComparer.Ordinal);

    public long Lines { get; set; }
    public long Imported { get; private set; }
    public long Updated { get; private set; }
    public long Unchanged { get; private set; }
    public long AlreadyImported { get; private set; }
    public long Exists { get; private set; }
    public long Rejected { get; private set; }

    /// <summary>Rejected lines by <c>field: message</c> (a line with several problems counts under each).</summary>
    public IReadOnlyDictionary<string, long> RejectedByReason => _rejectedByReason;

    /// <summary>False when the import stopped early (interrupted, or the database failed).</summary>
    public bool Completed { get; set; }

    /// <summary>Where a stopped import stopped: the first line whose batch was not written.</summary>
    public long? StoppedAtLine { get; set; }

    /// <summary>Why the import stopped, when it was not an interruption.</summary>
    public string? Failure { get; set; }

    public long Skipped => Unchanged + AlreadyImported + Exists;

    /// <summary>The last line of the last batch written (committed); 0 before the first.</summary>
    public long CommittedThrough { get; set; }

    /// <summary>Counts a line; safe from the reading and the writing side at once.</summary>
    public void Count(LineOutcome outcome, IReadOnlyList<ImportProblem> problems)
    {
        lock (_rejectedByReason)
        {
            CountLocked(outcome, problems);
        }
    }

    private void CountLocked(LineOutcome outcome, IReadOnlyList<ImportProblem> problems)
    {
        switch (outcome)
        {
            case LineOutcome.Imported: Imported++; break;
            case LineOutcome.Updated: Updated++; break;
            case LineOutcome.Unchanged: Unchanged++; break;
            case LineOutcome.AlreadyImported: AlreadyImported++; break;
            case LineOutcome.Exists: Exists++; break;
            default:
                Rejected++;
                foreach (var problem in problems)
                {
                    var reason = $"{problem.Field}: {problem.Message}";
                    if (_rejectedByReason.ContainsKey(reason) || _rejectedByReason.Count < MaxReasons)
                    {
                        _rejectedByReason[reason] = _rejectedByReason.GetValueOrDefault(reason) + 1;
                    }
                    else
                    {
                        _rejectedByReason["(other reasons)"] = _rejectedByReason.GetValueOrDefault("(other reasons)") + 1;
                    }
                }

                break;
        }
    }
}
