using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AuthCluster.Silo.Cli;

/// <summary><c>schema status</c>: which of this build's SQL scripts the configured database has applied, and which are pending.</summary>
internal static class SchemaCommands
{
    private static readonly CliOption Json = new("json", "Print the result as JSON (for scripts).");

    private static readonly JsonSerializerOptions JsonOutput = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static CliCommand Status { get; } = new("status",
        "Show the applied and pending schema scripts of the database at Storage:ConnectionString (PostgreSQL or SQLite); changes nothing.",
        [], [Json], StatusAsync,
        """
        Exit codes: 0 up to date, 5 scripts pending (run schema apply), 1 the database cannot be read, 2 usage.
        A script marked unknown was applied by a newer AuthCluster than this one.
        """);

    private static async Task<int> StatusAsync(CliInvocation cli)
    {
        var storage = StorageSettings.From(cli.Configuration);
        if (!storage.IsPostgreSql && !storage.IsSqlite)
        {
            await cli.Console.Error.WriteLineAsync($"Storage:Provider {storage.Provider} has no schema.");
            return ExitCodes.Usage;
        }

        string target;
        try
        {
            target = storage.IsPostgreSql
                ? new NpgsqlConnectionStringBuilder(storage.ConnectionString) is var pg ? $"{pg.Host}:{pg.Port}/{pg.Database}" : ""
                : new SqliteConnectionStringBuilder(storage.ConnectionString).DataSource;
        }
        catch (ArgumentException)
        {
            await cli.Console.Error.WriteLineAsync("Storage:ConnectionString is not a valid connection string for Storage:Provider.");
            return ExitCodes.Usage;
        }

        IReadOnlyList<SchemaScriptStatus> scripts;
        try
        {
            scripts = storage.IsPostgreSql
                ? await DatabaseSchema.PostgreSqlStatusAsync(storage.ConnectionString, cli.Cancellation)
                : await DatabaseSchema.SqliteStatusAsync(storage.ConnectionString, cli.Cancellation);
        }
        catch (DbException exception)
        {
            // Driver messages name hosts, users and files, never passwords.
            await cli.Console.Error.WriteLineAsync($"Cannot read the schema of {target}: {exception.Message}");
            return ExitCodes.Failed;
        }

        var pending = scripts.Count(s => s.State == SchemaScriptState.Pending);
        if (cli.Has(Json.Name))
        {
            await cli.Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { target, up_to_date = pending == 0, scripts }, JsonOutput));
        }
        else
        {
            var rows = scripts.Select(s => new[]
            {
                s.Version.ToString("000", CultureInfo.InvariantCulture),
                s.Script,
                s.State.ToString().ToLowerInvariant(),
                s.AppliedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-",
            }).ToList();
            await cli.Console.Out.WriteLineAsync($"Schema of {target}: {(pending == 0 ? "up to date" : $"{pending} pending")}.");
            await cli.Console.Out.WriteAsync(KeyAdminCommands.Table(["VERSION", "SCRIPT", "STATE", "APPLIED AT"], rows));
        }

        return pending == 0 ? ExitCodes.Ok : ExitCodes.Pending;
    }
}
