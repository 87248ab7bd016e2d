using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Import;
using AuthCluster.Silo.Storage;
using Npgsql;

namespace AuthCluster.Silo.Cli;

/// <summary>
/// The silo program's admin commands. Each is a <see cref="CliCommand"/> in <see cref="Root"/>; a new one (issue 11:
/// customers find/export/erase, keys, schema status) adds a node there and a handler here or in its own class.
/// </summary>
internal static class AdminCommands
{
    private static readonly CliOption Json = new("json", "Print the result as JSON (for scripts).");

    public static CliGroup Root { get; } = new(
        "",
        "AuthCluster silo. Without a command it runs a silo node (configured by Cluster:*, Storage:*, Auth:*, Email:*); " +
        "with one it runs an admin command against the configured store and exits.",
        [
            new CliGroup("schema", "Database schema.",
            [
                new CliCommand("apply", "Create or upgrade the PostgreSQL schema at Storage:ConnectionString (idempotent), then exit.",
                    [], [Json], ApplySchemaAsync),
                SchemaCommands.Status,
            ]),
            new CliGroup("customers", "Customer accounts.",
            [
                new CliCommand("import", "Import customers, with their password hashes, from JSON Lines.",
                    [new CliArgument("FILE", "The JSON Lines file; - reads standard input.")],
                    [new CliOption("update", "Update accounts whose email exists (profile, external id; the password while it is still an imported one) instead of skipping them."), Json],
                    ImportCustomersAsync,
                    """
                    One customer per line: {"shop_id": 1, "email": "...", "first_name": "...", "last_name": "...",
                    "gender": "m|f|d", "password_hash": "...", "created_at": "ISO 8601", "external_id": "...", "customer_id": "uuid"}
                    (gender and the last five optional). Password hashes: bcrypt, ASP.NET Core Identity v2/v3, Django PBKDF2,
                    argon2id, and AuthCluster's own from an export; they are upgraded at each customer's first login.
                    Rejected and skipped lines are reported on standard error with their line number; the summary goes to
                    standard output. Safe to run again (nothing changes) and while the service runs. Exit codes: 0 done,
                    3 done with rejected lines, 1 failed or stopped (run again to finish), 2 usage, 130 interrupted.
                    Store: Storage:Provider and Storage:ConnectionString, Cluster:ServiceId, as for the silo; the SQLite
                    default data/authcluster.db counts from the working directory (run from src/Api for the API's file).
                    """),
                new CliCommand("export", "Export customers as JSON Lines that import reads (with AuthCluster's own hashes).",
                    [new CliArgument("FILE", "Where to write; - or none writes standard output.", Required: false)],
                    [new CliOption("shop", "Only customers of this shop.", "SHOP_ID"), Json],
                    ExportCustomersAsync),
                .. CustomerAdminCommands.Commands,
            ]),
            KeyAdminCommands.Keys,
            KeyAdminCommands.Kek,
        ]);

    /// <summary>Runs an admin command line on the process console; Ctrl+C cancels it cleanly.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        return await CommandLine.RunAsync(Root, args, Configure, CliConsole.System(), cancellation.Token);
    }

    /// <summary>The configuration a silo started with these arguments would read (without watching the files: a command exits soon).</summary>
    public static IConfiguration Configure(IReadOnlyList<string> configurationArgs)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("hostBuilder:reloadConfigOnChange", "false")]);
        return new HostApplicationBuilder(new HostApplicationBuilderSettings { Args = [.. configurationArgs], Configuration = configuration }).Configuration;
    }

    /// <summary>
    /// <c>schema apply</c>: brings the PostgreSQL database up to date and exits; safe to run again and from
    /// several places at once. Prints where it connected but never the connection string (it may hold a password).
    /// </summary>
    private static async Task<int> ApplySchemaAsync(CliInvocation cli)
    {
        var connectionString = StorageSettings.From(cli.Configuration).ConnectionString;
        string target;
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(connectionString);
            target = $"{parsed.Host}:{parsed.Port}/{parsed.Database}";
        }
        catch (ArgumentException)
        {
            await cli.Console.Error.WriteLineAsync("Storage:ConnectionString is not a valid PostgreSQL connection string.");
            return ExitCodes.Usage;
        }

        IReadOnlyList<string> applied;
        try
        {
            applied = await DatabaseSchema.ApplyPostgreSqlAsync(connectionString, cli.Cancellation);
        }
        catch (DbException exception)
        {
            // Npgsql's messages name hosts, users and SQL states, never passwords.
            await cli.Console.Error.WriteLineAsync($"Schema apply on {target} failed: {exception.Message}");
            return ExitCodes.Failed;
        }

        await cli.Console.Out.WriteLineAsync(cli.Has(Json.Name)
            ? JsonSerializer.Serialize(new { target, status = "up_to_date", applied })
            : applied.Count == 0
                ? $"Schema of {target} was already up to date."
                : $"Applied to {target}: {string.Join(", ", applied)}. The schema is up to date.");
        return ExitCodes.Ok;
    }

    private static async Task<int> ImportCustomersAsync(CliInvocation cli)
    {
        var file = cli.Argument("FILE")!;
        var json = cli.Has(Json.Name);
        Stream input;
        long? length = null;
        if (file == "-")
        {
            input = cli.Console.Input();
        }
        else if (!File.Exists(file))
        {
            await cli.Console.Error.WriteLineAsync($"No such file: {Path.GetFullPath(file)}");
            return ExitCodes.Failed;
        }
        else
        {
            input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            length = input.Length;
        }

        await using (input)
        {
            await using var store = await OpenStoreAsync(cli);
            if (store is null)
            {
                return ExitCodes.Failed;
            }

            await cli.Console.Error.WriteLineAsync($"Importing into {store.Description} (service {ServiceId(cli)}){(cli.Has("update") ? ", updating existing accounts" : "")}.");
            var observer = new ConsoleImportObserver(cli.Console, json, length);
            var importer = new CustomerImporter(store, cli.Has("update"), TimeProvider.System, BatchSize);
            var stopwatch = Stopwatch.StartNew();
            var summary = await importer.RunAsync(input, observer, cli.Cancellation);
            observer.Finish();
            await WriteSummaryAsync(cli, store, summary, stopwatch.Elapsed, json);

            if (!summary.Completed)
            {
                return summary.Failure is null ? ExitCodes.Interrupted : ExitCodes.Failed;
            }

            return summary.Rejected > 0 ? ExitCodes.PartlyRejected : ExitCodes.Ok;
        }
    }

    private static async Task<int> ExportCustomersAsync(CliInvocation cli)
    {
        var json = cli.Has(Json.Name);
        long? shop = null;
        if (cli.Option("shop") is { } text)
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed <= 0)
            {
                await cli.Console.Error.WriteLineAsync("--shop must be a positive integer.");
                return ExitCodes.Usage;
            }

            shop = parsed;
        }

        await using var customers = await OpenStoreAsync(cli);
        await using var lookups = customers is null ? null : await OpenStoreAsync(cli);
        if (customers is null || lookups is null)
        {
            return ExitCodes.Failed;
        }

        var file = cli.Argument("FILE") ?? "-";
        var stopwatch = Stopwatch.StartNew();
        long written;
        try
        {
            await using var output = file == "-"
                ? cli.Console.Output()
                : new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            written = await new CustomerExporter(customers, lookups).RunAsync(output, shop, cli.Cancellation);
        }
        catch (Exception exception) when (exception is DbException or IOException or OperationCanceledException)
        {
            await cli.Console.Error.WriteLineAsync(exception is OperationCanceledException
                ? "Export interrupted; the output is incomplete."
                : $"Export failed, the output is incomplete: {exception.Message}");
            return exception is OperationCanceledException ? ExitCodes.Interrupted : ExitCodes.Failed;
        }

        var where = file == "-" ? "standard output" : Path.GetFullPath(file);
        var message = json
            ? JsonSerializer.Serialize(new { store = customers.Description, exported = written, shop_id = shop, file = where })
            : $"Exported {written:N0} customers{(shop is null ? "" : $" of shop {shop}")} from {customers.Description} to {where} in {stopwatch.Elapsed:m\\:ss}.";

        // Standard output may be the export itself.
        await (file == "-" ? cli.Console.Error : cli.Console.Out).WriteLineAsync(message);
        return ExitCodes.Ok;
    }

    private static async Task<GrainStateStore?> OpenStoreAsync(CliInvocation cli)
    {
        try
        {
            return await GrainStateStore.OpenAsync(StorageSettings.From(cli.Configuration), ServiceId(cli), cli.Cancellation);
        }
        catch (GrainStateStoreException exception)
        {
            await cli.Console.Error.WriteLineAsync(exception.Message);
            return null;
        }
    }

    private static string ServiceId(CliInvocation cli) => ClusterSettings.From(cli.Configuration).ServiceId;

    /// <summary>
    /// Lines per transaction. Each commit writes every index page the batch touched, so fewer, larger batches write
    /// far less (10,000 lines: a third of the I/O of 2,000). SQLite holds its one write lock for a batch: a running
    /// node's writes wait for it, about a second here.
    /// </summary>
    private const int BatchSize = 10_000;

    private static async Task WriteSummaryAsync(CliInvocation cli, GrainStateStore store, ImportSummary summary, TimeSpan elapsed, bool json)
    {
        var rate = elapsed.TotalSeconds > 0 ? summary.Lines / elapsed.TotalSeconds : 0;
        if (json)
        {
            await cli.Console.Out.WriteLineAsync(JsonSerializer.Serialize(new
            {
                store = store.Description,
                completed = summary.Completed,
                stopped_at_line = summary.StoppedAtLine,
                failure = summary.Failure,
                lines = summary.Lines,
                imported = summary.Imported,
                updated = summary.Updated,
                skipped = new { total = summary.Skipped, already_imported = summary.AlreadyImported, exists = summary.Exists, unchanged = summary.Unchanged },
                rejected = new { total = summary.Rejected, reasons = summary.RejectedByReason },
                seconds = Math.Round(elapsed.TotalSeconds, 1),
            }));
            return;
        }

        var output = cli.Console.Out;
        if (!summary.Completed)
        {
            await cli.Console.Error.WriteLineAsync(summary.Failure is null
                ? $"Interrupted at line {summary.StoppedAtLine:N0}. Run the same import again to finish it."
                : $"Stopped at line {summary.StoppedAtLine:N0}: {summary.Failure} Everything before was written; run the same import again to finish it.");
        }

        await output.WriteLineAsync($"{summary.Lines:N0} lines in {elapsed:h\\:mm\\:ss} ({rate:N0} lines/s) into {store.Description}:");
        await output.WriteLineAsync($"  imported  {summary.Imported,12:N0}");
        await output.WriteLineAsync($"  updated   {summary.Updated,12:N0}");
        await output.WriteLineAsync($"  skipped   {summary.Skipped,12:N0}  ({summary.Exists:N0} with an existing account, {summary.AlreadyImported:N0} already imported, {summary.Unchanged:N0} unchanged)");
        await output.WriteLineAsync($"  rejected  {summary.Rejected,12:N0}");
        foreach (var (reason, count) in summary.RejectedByReason.OrderByDescending(r => r.Value))
        {
            await output.WriteLineAsync($"    {count,10:N0}  {reason}");
        }
    }
}
