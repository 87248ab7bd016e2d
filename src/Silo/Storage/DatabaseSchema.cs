using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AuthCluster.Silo.Storage;

/// <summary>
/// Applies the project's own SQL scripts (deploy/sql, embedded in this assembly) that give the Orleans
/// ADO.NET providers their tables and <c>OrleansQuery</c> rows. Versioned and idempotent: each script
/// runs at most once per database, recorded in <c>authcluster_schema_migrations</c>.
/// </summary>
/// <remarks>
/// Scripts are named <c>NNN-description.sql</c> under <c>deploy/sql/&lt;dialect&gt;/</c>; NNN is the
/// version. A published script must never be edited (databases that already ran it would not see
/// the change); add a new, higher-numbered one instead.
/// </remarks>
public static class DatabaseSchema
{
    private const string ResourcePrefix = "sql/";
    private const string SqliteDialect = "sqlite";
    private const string PostgreSqlDialect = "postgresql";

    // Any fixed 64-bit value works; it only has to differ from other advisory locks on the same database.
    private const long PostgreSqlMigrationLockKey = 0x41_75_74_68_43_6C_75_73; // "AuthClus"

    /// <summary>
    /// Brings a SQLite database (the single-node grain store) up to date. Creates the directory of
    /// the <c>Data Source</c> file when missing and switches the database to WAL journaling.
    /// </summary>
    /// <returns>The scripts this call applied, in order; empty when the database was up to date.</returns>
    public static async Task<IReadOnlyList<string>> ApplySqliteAsync(string connectionString, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new SqliteConnectionStringBuilder(connectionString);
        EnsureSqliteDirectory(builder);

        await using var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);

        // WAL lets grain reads proceed while another grain writes; the mode is stored in the file,
        // so setting it once here covers every later connection (including Orleans' own).
        await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", ct);

        var applied = new List<string>();
        foreach (var script in LoadScripts(SqliteDialect))
        {
            // BEGIN IMMEDIATE takes the write lock before the "already applied?" check, so two
            // processes starting together serialise instead of both applying the script.
            await using var transaction = connection.BeginTransaction(deferred: false);
            await ExecuteAsync(connection, transaction, """
                CREATE TABLE IF NOT EXISTS authcluster_schema_migrations
                (
                    version    INTEGER NOT NULL PRIMARY KEY,
                    script     TEXT    NOT NULL,
                    applied_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                );
                """, ct);
            if (await ApplyIfNewAsync(connection, transaction, script, ct))
            {
                applied.Add(script.Name);
            }

            await transaction.CommitAsync(ct);
        }

        return applied;
    }

    /// <summary>
    /// Brings a PostgreSQL (15+) database (clustering, grain storage, reminders) up to date.
    /// Safe to run from several processes at once: a transaction-scoped advisory lock serialises them.
    /// </summary>
    /// <returns>The scripts this call applied, in order; empty when the database was up to date.</returns>
    public static async Task<IReadOnlyList<string>> ApplyPostgreSqlAsync(string connectionString, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);

        var applied = new List<string>();
        foreach (var script in LoadScripts(PostgreSqlDialect))
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            // Taken before CREATE TABLE IF NOT EXISTS too: concurrent IF NOT EXISTS creations of the
            // same table can still collide on the catalog's unique index.
            await ExecuteAsync(connection, transaction,
                $"SELECT pg_advisory_xact_lock({PostgreSqlMigrationLockKey.ToString(CultureInfo.InvariantCulture)});", ct);
            await ExecuteAsync(connection, transaction, """
                CREATE TABLE IF NOT EXISTS authcluster_schema_migrations
                (
                    version    integer     NOT NULL PRIMARY KEY,
                    script     text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """, ct);
            if (await ApplyIfNewAsync(connection, transaction, script, ct))
            {
                applied.Add(script.Name);
            }

            await transaction.CommitAsync(ct);
        }

        return applied;
    }

    /// <summary>
    /// Which of this build's scripts a PostgreSQL database has applied (and when), and which are pending; scripts the
    /// database recorded that this build does not know (a newer version applied them) are listed too. Reads only.
    /// </summary>
    public static async Task<IReadOnlyList<SchemaScriptStatus>> PostgreSqlStatusAsync(string connectionString, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        return await StatusAsync(connection, PostgreSqlDialect, "SELECT to_regclass('authcluster_schema_migrations') IS NOT NULL;", ct);
    }

    /// <summary>As <see cref="PostgreSqlStatusAsync"/>, for a SQLite file; a missing file is an error, not an empty database.</summary>
    public static async Task<IReadOnlyList<SchemaScriptStatus>> SqliteStatusAsync(string connectionString, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly };
        await using var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        return await StatusAsync(connection, SqliteDialect, "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'authcluster_schema_migrations';", ct);
    }

    private static async Task<IReadOnlyList<SchemaScriptStatus>> StatusAsync(DbConnection connection, string dialect, string tableExists, CancellationToken ct)
    {
        var applied = new Dictionary<int, (string Script, DateTimeOffset At)>();
        await using (var exists = connection.CreateCommand())
        {
            exists.CommandText = tableExists;
            if (Convert.ToBoolean(await exists.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture))
            {
                await using var query = connection.CreateCommand();
                query.CommandText = "SELECT version, script, applied_at FROM authcluster_schema_migrations;";
                await using var reader = await query.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    // PostgreSQL returns timestamptz as a UTC DateTime, SQLite its ISO 8601 text.
                    var at = reader.GetValue(2) switch
                    {
                        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
                        var text => DateTimeOffset.Parse(Convert.ToString(text, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                    };
                    applied[Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture)] = (reader.GetString(1), at);
                }
            }
        }

        var known = LoadScripts(dialect);
        var statuses = known.Select(s => applied.TryGetValue(s.Version, out var a)
            ? new SchemaScriptStatus(s.Version, s.Name, SchemaScriptState.Applied, a.At)
            : new SchemaScriptStatus(s.Version, s.Name, SchemaScriptState.Pending, null));
        var unknown = applied.Where(a => known.All(s => s.Version != a.Key))
            .Select(a => new SchemaScriptStatus(a.Key, a.Value.Script, SchemaScriptState.Unknown, a.Value.At));
        return [.. statuses.Concat(unknown).OrderBy(s => s.Version)];
    }

    private static async Task<bool> ApplyIfNewAsync(DbConnection connection, DbTransaction transaction, Script script, CancellationToken ct)
    {
        await using (var check = connection.CreateCommand())
        {
            check.Transaction = transaction;
            check.CommandText = "SELECT COUNT(*) FROM authcluster_schema_migrations WHERE version = @version;";
            AddParameter(check, "version", script.Version);
            if (Convert.ToInt64(await check.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0)
            {
                return false;
            }
        }

        await ExecuteAsync(connection, transaction, script.Text, ct);

        await using var record = connection.CreateCommand();
        record.Transaction = transaction;
        record.CommandText = "INSERT INTO authcluster_schema_migrations (version, script) VALUES (@version, @script);";
        AddParameter(record, "version", script.Version);
        AddParameter(record, "script", script.Name);
        await record.ExecuteNonQueryAsync(ct);
        return true;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static void EnsureSqliteDirectory(SqliteConnectionStringBuilder builder)
    {
        var dataSource = builder.DataSource;
        // In-memory databases and URI file names have no directory we could sensibly create.
        if (builder.Mode == SqliteOpenMode.Memory
            || string.IsNullOrEmpty(dataSource)
            || dataSource == ":memory:"
            || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }

    internal static IReadOnlyList<Script> LoadScripts(string dialect)
    {
        var assembly = typeof(DatabaseSchema).Assembly;
        var prefix = $"{ResourcePrefix}{dialect}/";
        var scripts = new List<Script>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            // MSBuild's RecursiveDir uses the build host's separator, so Windows builds yield backslashes.
            var name = resource.Replace('\\', '/');
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var fileName = name[prefix.Length..];
            var dash = fileName.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(fileName.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"SQL script '{name}' is not named NNN-description.sql.");
            }

            scripts.Add(new Script(version, fileName, ReadResource(assembly, resource)));
        }

        if (scripts.Count == 0)
        {
            throw new InvalidOperationException($"No embedded SQL scripts found under '{prefix}'.");
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < scripts.Count; i++)
        {
            if (scripts[i].Version == scripts[i - 1].Version)
            {
                throw new InvalidOperationException(
                    $"SQL scripts '{scripts[i - 1].Name}' and '{scripts[i].Name}' share version {scripts[i].Version}.");
            }
        }

        return scripts;
    }

    private static string ReadResource(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource '{resource}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    internal sealed record Script(int Version, string Name, string Text);
}

public enum SchemaScriptState
{
    Applied = 0,
    Pending = 1,

    /// <summary>Recorded by the database but not part of this build: a newer version of AuthCluster applied it.</summary>
    Unknown = 2,
}

/// <summary>One script of <c>schema status</c>.</summary>
public sealed record SchemaScriptStatus(int Version, string Script, SchemaScriptState State, DateTimeOffset? AppliedAt);
