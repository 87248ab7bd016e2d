using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using AuthCluster.Grains.Interfaces.Hosting;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AuthCluster.Silo.Storage;

/// <summary>A grain-state row as the provider reads it: a null payload is a cleared state that keeps its version.</summary>
internal sealed record StoredGrainState(byte[]? Payload, int? Version);

/// <summary>A new account for <see cref="GrainStateStore.InsertAccountsAsync"/>: its email index row and its customer row.</summary>
internal sealed record NewAccountRows(GrainStateRowId Index, byte[] IndexPayload, GrainStateRowId Customer, byte[] CustomerPayload);

internal enum NewAccountOutcome
{
    Inserted,

    /// <summary>The email index row exists (an account, login throttle counters, or a cleared row): nothing written.</summary>
    IndexExists,

    /// <summary>The customer row exists although the email index row did not: nothing written.</summary>
    CustomerExists,
}

/// <summary>
/// Direct access to the grain-state table for admin tools, on one connection and in explicit transactions. Single
/// rows are read and written with the provider's own query texts from <c>OrleansQuery</c> (the texts the silos run),
/// with the parameters Orleans binds, so a write here follows the same version (ETag) rules as a grain's: a row
/// changed since it was read is not overwritten, and a live activation that read the row before this write fails
/// its next write and reloads. Bulk operations are dialect-specific.
/// </summary>
internal abstract class GrainStateStore : IAsyncDisposable
{
    private readonly string _readQuery;
    private readonly string _writeQuery;
    private DbCommand? _read;
    private DbCommand? _write;

    private protected GrainStateStore(DbConnection connection, string serviceId, string readQuery, string writeQuery)
    {
        Connection = connection;
        ServiceId = serviceId;
        _readQuery = readQuery;
        _writeQuery = writeQuery;
    }

    /// <summary>Where the rows are, for messages: never the connection string, which may hold a password.</summary>
    public abstract string Description { get; }

    protected DbConnection Connection { get; }

    protected DbTransaction? Transaction { get; private set; }

    protected string ServiceId { get; }

    /// <summary>Opens the configured store; fails with a message for the operator when there is nothing to open.</summary>
    public static async Task<GrainStateStore> OpenAsync(StorageSettings storage, string serviceId, CancellationToken ct)
    {
        if (storage.IsPostgreSql)
        {
            return await PostgreSqlGrainStateStore.OpenAsync(storage.ConnectionString, serviceId, ct);
        }

        if (storage.IsSqlite)
        {
            return await SqliteGrainStateStore.OpenAsync(storage.ConnectionString, serviceId, ct);
        }

        throw new GrainStateStoreException(storage.IsMemory
            ? "Storage:Provider is Memory: there is no stored data to work on. Use Sqlite or PostgreSql."
            : $"Storage:Provider '{storage.Provider}' is not one of Sqlite, PostgreSql.");
    }

    public async Task BeginAsync(CancellationToken ct)
    {
        Transaction = await BeginTransactionAsync(ct);
        _read = null;
        _write = null;
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        await Transaction!.CommitAsync(ct);
        await EndTransactionAsync();
    }

    public async Task RollbackAsync()
    {
        if (Transaction is not null)
        {
            try
            {
                await Transaction.RollbackAsync(CancellationToken.None);
            }
            finally
            {
                await EndTransactionAsync();
            }
        }
    }

    /// <summary>The provider's <c>ReadFromStorageKey</c>; null when no row exists.</summary>
    public async Task<StoredGrainState?> ReadAsync(GrainStateRowId id, CancellationToken ct)
    {
        _read ??= Command(_readQuery, write: false);
        Bind(_read, id);
        await using var reader = await _read.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var payload = reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0);
        int? version = reader.IsDBNull(1) ? null : Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        return new StoredGrainState(payload, version);
    }

    /// <summary>
    /// The provider's <c>WriteToStorageKey</c>: with no <paramref name="version"/> it inserts a row that must not exist
    /// yet, otherwise it replaces the row that still has that version. The new version, or null when the row was not
    /// as expected (nothing written).
    /// </summary>
    public async Task<int?> WriteAsync(GrainStateRowId id, byte[] payload, int? version, CancellationToken ct)
    {
        _write ??= Command(_writeQuery);
        Bind(_write, id);
        _write.Parameters["GrainStateVersion"].Value = version is { } v ? v : DBNull.Value;
        _write.Parameters["PayloadBinary"].Value = payload;

        // The answer may come from any of the text's statements; every result set must be read for all to run.
        int? written = null;
        await using var reader = await _write.ExecuteReaderAsync(ct);
        do
        {
            while (await reader.ReadAsync(ct))
            {
                if (!reader.IsDBNull(0))
                {
                    written = Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        while (await reader.NextResultAsync(ct));

        return written == version ? null : written;
    }

    /// <summary>Reads several rows of one state (one state name for all); the answer lists them in the order asked, null where no row exists.</summary>
    public virtual async Task<IReadOnlyList<StoredGrainState?>> ReadManyAsync(IReadOnlyList<GrainStateRowId> ids, CancellationToken ct)
    {
        var rows = new StoredGrainState?[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            rows[i] = await ReadAsync(ids[i], ct);
        }

        return rows;
    }

    /// <summary>
    /// Creates accounts whose email index row and customer row are both absent, each account all or nothing, inside
    /// the current transaction. Answers per account, in order.
    /// </summary>
    public abstract Task<IReadOnlyList<NewAccountOutcome>> InsertAccountsAsync(IReadOnlyList<NewAccountRows> accounts, CancellationToken ct);

    /// <summary>Every live (not cleared) row of a Guid-keyed state, streamed: the key and the payload.</summary>
    public async IAsyncEnumerable<(Guid Key, byte[] Payload)> ReadAllAsync(string stateName, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = Connection.CreateCommand();
        command.Transaction = Transaction;
        command.CommandText = """
            SELECT grain_id_n0, grain_id_n1, payload FROM orleans_grain_state
            WHERE service_id = @ServiceId AND grain_type = @GrainTypeString AND payload IS NOT NULL
            """;
        Add(command, "ServiceId", DbType.String, ServiceId);
        Add(command, "GrainTypeString", DbType.String, stateName);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        while (await reader.ReadAsync(ct))
        {
            var key = GrainStateRowId.GuidOf(reader.GetInt64(0), reader.GetInt64(1));
            yield return (key, (byte[])reader.GetValue(2));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RollbackAsync();
        await Connection.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected abstract Task<DbTransaction> BeginTransactionAsync(CancellationToken ct);

    /// <summary>Loads the provider's read and write texts, as the silos' grain storage does at start.</summary>
    private protected static async Task<(string Read, string Write)> LoadQueriesAsync(DbConnection connection, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT QueryKey, QueryText FROM OrleansQuery WHERE QueryKey = 'ReadFromStorageKey' OR QueryKey = 'WriteToStorageKey'";
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                queries[reader.GetString(0)] = reader.GetString(1);
            }
        }

        if (!queries.TryGetValue("ReadFromStorageKey", out var read) || !queries.TryGetValue("WriteToStorageKey", out var write))
        {
            throw new GrainStateStoreException("The database has no grain storage queries; its schema is incomplete.");
        }

        return (read, write);
    }

    protected static void Add(DbCommand command, string name, DbType type, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>A command with the parameters Orleans' grain storage binds (ORLEANS-ADONET.md §4.2), in the current transaction.</summary>
    protected DbCommand Command(string text, bool write = true)
    {
        var command = Connection.CreateCommand();
        command.Transaction = Transaction;
        command.CommandText = text;

        Add(command, "GrainIdHash", DbType.Int32, 0);
        Add(command, "GrainIdN0", DbType.Int64, 0L);
        Add(command, "GrainIdN1", DbType.Int64, 0L);
        Add(command, "GrainTypeHash", DbType.Int32, 0);
        Add(command, "GrainTypeString", DbType.String, "");
        Add(command, "GrainIdExtensionString", DbType.String, null);
        Add(command, "ServiceId", DbType.String, ServiceId);
        if (write)
        {
            Add(command, "GrainStateVersion", DbType.Int32, null);
            Add(command, "PayloadBinary", DbType.Binary, Array.Empty<byte>());
        }

        return command;
    }

    protected static void Bind(DbCommand command, GrainStateRowId id)
    {
        command.Parameters["GrainIdHash"].Value = id.IdHash;
        command.Parameters["GrainIdN0"].Value = id.N0;
        command.Parameters["GrainIdN1"].Value = id.N1;
        command.Parameters["GrainTypeHash"].Value = id.TypeHash;
        command.Parameters["GrainTypeString"].Value = id.StateName;
        command.Parameters["GrainIdExtensionString"].Value = (object?)id.Extension ?? DBNull.Value;
    }

    private async Task EndTransactionAsync()
    {
        if (_read is not null)
        {
            await _read.DisposeAsync();
        }

        if (_write is not null)
        {
            await _write.DisposeAsync();
        }

        _read = null;
        _write = null;
        if (Transaction is not null)
        {
            await Transaction.DisposeAsync();
        }

        Transaction = null;
    }
}

/// <summary>A store that cannot be used, with a message meant for the operator.</summary>
internal sealed class GrainStateStoreException(string message) : Exception(message);

/// <summary>
/// The single node's SQLite file. One connection, so its prepared statements serve a whole batch; batches run in
/// <c>BEGIN IMMEDIATE</c> transactions, which take SQLite's one write lock up front: a running node's writes wait for
/// the batch (a fraction of a second) and then proceed, and nothing the batch read can change under it.
/// </summary>
internal sealed class SqliteGrainStateStore : GrainStateStore
{
    /// <summary>Rows per statement: a JSON text of about a megabyte.</summary>
    private const int Chunk = 1_000;

    // First writes as the provider's WriteToStorageKey makes them (version 1, nothing where the row exists), for a
    // whole chunk at once: SQLite has no COPY, so the rows come in as one JSON array, expanded by json_each. Per-row
    // statements cost more in the driver than in SQLite; one parameter per chunk does not.
    private const string InsertRows = """
        INSERT OR IGNORE INTO orleans_grain_state
            (grain_id_hash, grain_id_n0, grain_id_n1, grain_type_hash, grain_type, grain_id_ext, service_id, payload, version)
        SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), json_extract(r.value, '$[2]'), @GrainTypeHash,
               @GrainTypeString, json_extract(r.value, '$[3]'), @ServiceId, unhex(json_extract(r.value, '$[4]')), 1
        FROM json_each(@Rows) AS r
        RETURNING grain_id_ext, grain_id_n0, grain_id_n1
        """;

    private const string DeleteFirstVersion = """
        DELETE FROM orleans_grain_state
        WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
          AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
          AND grain_type = @GrainTypeString AND grain_id_ext IS @GrainIdExtensionString
          AND service_id = @ServiceId AND version = 1
        """;

    private readonly string _path;

    private SqliteGrainStateStore(SqliteConnection connection, string serviceId, string read, string write, string path)
        : base(connection, serviceId, read, write) => _path = path;

    public override string Description => $"SQLite {_path}";

    /// <summary>Opens the file for an admin tool's batches (see the pragmas below); fails with a message for the operator when there is nothing to open.</summary>
    public static Task<GrainStateStore> OpenAsync(string connectionString, string serviceId, CancellationToken ct) =>
        OpenAsync(connectionString, serviceId,
            // For this connection only. A batch rewrites index pages all over the file; checkpointing (copying the
            // WAL back) every 4 MB as by default would rewrite them again and again, so the WAL may grow to about
            // 200 MB first. A commit need not wait for the disk: a batch lost to a power cut is written again by
            // running the same import again, which is how every interrupted import is finished anyway.
            "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 50000; PRAGMA cache_size = -65536;", ct);

    /// <summary>Opens the file for a running node's grain writes: every commit is on disk before it returns.</summary>
    public static Task<GrainStateStore> OpenDurableAsync(string connectionString, string serviceId, CancellationToken ct) =>
        OpenAsync(connectionString, serviceId, "PRAGMA synchronous = FULL;", ct);

    private static async Task<GrainStateStore> OpenAsync(string connectionString, string serviceId, string pragmas, CancellationToken ct)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            throw new GrainStateStoreException("Storage:ConnectionString is not a valid SQLite connection string.");
        }

        var path = Path.GetFullPath(builder.DataSource);

        // Opening a missing file would create an empty database, most likely in the wrong place (a relative path
        // resolves against the working directory): the node creates its database when it first starts.
        if (!File.Exists(path))
        {
            throw new GrainStateStoreException(
                $"No database at {path}. Start the node once to create it, or point Storage:ConnectionString at its file " +
                "(a relative path counts from the working directory; the API's default is src/Api/data/authcluster.db when run from src/Api).");
        }

        builder.Mode = SqliteOpenMode.ReadWrite;
        var connection = new SqliteConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            var (read, write) = await LoadQueriesAsync(connection, ct);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = pragmas;
                await command.ExecuteNonQueryAsync(ct);
            }

            return new SqliteGrainStateStore(connection, serviceId, read, write, path);
        }
        catch (SqliteException exception)
        {
            await connection.DisposeAsync();
            throw new GrainStateStoreException($"Cannot use the database at {path}: {exception.Message}");
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override async Task<IReadOnlyList<NewAccountOutcome>> InsertAccountsAsync(IReadOnlyList<NewAccountRows> accounts, CancellationToken ct)
    {
        // The transaction holds the write lock: between these statements nobody else writes.
        var outcomes = new NewAccountOutcome[accounts.Count];
        for (var start = 0; start < accounts.Count; start += Chunk)
        {
            var chunk = Enumerable.Range(start, Math.Min(Chunk, accounts.Count - start)).ToList();
            var newIndex = await InsertRowsAsync(chunk.Select(i => (accounts[i].Index, accounts[i].IndexPayload)).ToList(), ct);
            var created = chunk.Where(i => newIndex.Contains((accounts[i].Index.N0, accounts[i].Index.N1, accounts[i].Index.Extension))).ToList();
            var newCustomers = await InsertRowsAsync(created.Select(i => (accounts[i].Customer, accounts[i].CustomerPayload)).ToList(), ct);
            foreach (var i in chunk)
            {
                outcomes[i] = NewAccountOutcome.IndexExists;
            }

            foreach (var i in created)
            {
                var customer = accounts[i].Customer;
                outcomes[i] = newCustomers.Contains((customer.N0, customer.N1, customer.Extension))
                    ? NewAccountOutcome.Inserted
                    : NewAccountOutcome.CustomerExists;
            }

            // An email whose customer id is taken: take its new index row back, so the account is all or nothing.
            foreach (var i in created.Where(i => outcomes[i] == NewAccountOutcome.CustomerExists))
            {
                await using var delete = Command(DeleteFirstVersion);
                Bind(delete, accounts[i].Index);
                await delete.ExecuteNonQueryAsync(ct);
            }
        }

        return outcomes;
    }

    /// <summary>Inserts rows of one state that do not exist yet; answers which were inserted (by key).</summary>
    private async Task<HashSet<(long N0, long N1, string? Extension)>> InsertRowsAsync(List<(GrainStateRowId Id, byte[] Payload)> rows, CancellationToken ct)
    {
        var inserted = new HashSet<(long, long, string?)>();
        if (rows.Count == 0)
        {
            return inserted;
        }

        var json = new System.Buffers.ArrayBufferWriter<byte>();
        await using (var writer = new System.Text.Json.Utf8JsonWriter(json))
        {
            writer.WriteStartArray();
            foreach (var (id, payload) in rows)
            {
                writer.WriteStartArray();
                writer.WriteNumberValue(id.IdHash);
                writer.WriteNumberValue(id.N0);
                writer.WriteNumberValue(id.N1);
                if (id.Extension is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStringValue(id.Extension);
                }

                writer.WriteStringValue(Convert.ToHexString(payload));
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        await using var insert = Connection.CreateCommand();
        insert.Transaction = Transaction;
        insert.CommandText = InsertRows;
        Add(insert, "Rows", DbType.String, System.Text.Encoding.UTF8.GetString(json.WrittenSpan));
        Add(insert, "GrainTypeHash", DbType.Int32, rows[0].Id.TypeHash);
        Add(insert, "GrainTypeString", DbType.String, rows[0].Id.StateName);
        Add(insert, "ServiceId", DbType.String, ServiceId);
        await using var reader = await insert.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            inserted.Add((reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(0) ? null : reader.GetString(0)));
        }

        return inserted;
    }

    protected override Task<DbTransaction> BeginTransactionAsync(CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)Connection).BeginTransaction(deferred: false));
}

/// <summary>
/// A PostgreSQL cluster database. New accounts go in by <c>COPY</c> into a temporary table and one
/// <c>INSERT … ON CONFLICT DO NOTHING</c> per batch; rows that exist are left to the single-row path.
/// </summary>
internal sealed class PostgreSqlGrainStateStore : GrainStateStore
{
    private const string CreateStaging = """
        CREATE TEMPORARY TABLE IF NOT EXISTS authcluster_import_rows
        (
            ord              integer NOT NULL,
            index_hash       integer NOT NULL,
            index_key        text    NOT NULL,
            index_payload    bytea   NOT NULL,
            customer_hash    integer NOT NULL,
            customer_n0      bigint  NOT NULL,
            customer_n1      bigint  NOT NULL,
            customer_payload bytea   NOT NULL
        ) ON COMMIT DELETE ROWS;
        """;

    // Index rows first: the unique identity index decides, against concurrent registrations too, which emails are
    // new. Customer rows follow only for those; an index row whose customer id turns out to be taken is removed
    // again by the next statement, in the same transaction, so nobody ever sees it.
    private const string InsertNew = """
        WITH new_index AS (
            INSERT INTO orleans_grain_state (grain_id_hash, grain_id_n0, grain_id_n1, grain_type_hash, grain_type, grain_id_ext, service_id, payload, version)
            SELECT index_hash, 0, 0, @IndexTypeHash, @IndexType, index_key, @ServiceId, index_payload, 1 FROM authcluster_import_rows
            ON CONFLICT DO NOTHING
            RETURNING grain_id_ext
        ), new_customer AS (
            INSERT INTO orleans_grain_state (grain_id_hash, grain_id_n0, grain_id_n1, grain_type_hash, grain_type, grain_id_ext, service_id, payload, version)
            SELECT r.customer_hash, r.customer_n0, r.customer_n1, @CustomerTypeHash, @CustomerType, NULL, @ServiceId, r.customer_payload, 1
            FROM authcluster_import_rows r JOIN new_index n ON n.grain_id_ext = r.index_key
            ON CONFLICT DO NOTHING
            RETURNING grain_id_n0, grain_id_n1
        )
        SELECT r.ord, n.grain_id_ext IS NOT NULL, c.grain_id_n0 IS NOT NULL
        FROM authcluster_import_rows r
        LEFT JOIN new_index n ON n.grain_id_ext = r.index_key
        LEFT JOIN new_customer c ON c.grain_id_n0 = r.customer_n0 AND c.grain_id_n1 = r.customer_n1
        """;

    private const string DeleteIndexRows = """
        DELETE FROM orleans_grain_state s
        USING unnest(@Hashes, @Keys) AS k(hash, key)
        WHERE s.grain_id_hash = k.hash AND s.grain_type_hash = @IndexTypeHash AND s.grain_id_n0 = 0 AND s.grain_id_n1 = 0
          AND s.grain_type = @IndexType AND s.grain_id_ext = k.key AND s.service_id = @ServiceId
        """;

    private const string ReadMany = """
        SELECT k.ord, s.payload, s.version
        FROM unnest(@Hashes, @N0s, @N1s, @Keys) WITH ORDINALITY AS k(hash, n0, n1, key, ord)
        JOIN orleans_grain_state s
          ON s.grain_id_hash = k.hash AND s.grain_type_hash = @TypeHash AND s.grain_id_n0 = k.n0 AND s.grain_id_n1 = k.n1
         AND s.grain_type = @Type AND s.grain_id_ext IS NOT DISTINCT FROM k.key AND s.service_id = @ServiceId
        """;

    private readonly string _target;

    private PostgreSqlGrainStateStore(NpgsqlConnection connection, string serviceId, string read, string write, string target)
        : base(connection, serviceId, read, write) => _target = target;

    public override string Description => $"PostgreSQL {_target}";

    private NpgsqlConnection Npgsql => (NpgsqlConnection)Connection;

    public static async Task<GrainStateStore> OpenAsync(string connectionString, string serviceId, CancellationToken ct)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            throw new GrainStateStoreException("Storage:ConnectionString is not a valid PostgreSQL connection string.");
        }

        var target = $"{builder.Host}:{builder.Port}/{builder.Database}";
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            var (read, write) = await LoadQueriesAsync(connection, ct);

            // Outside any transaction, so that a rolled-back batch does not take the table with it.
            await using (var create = new NpgsqlCommand(CreateStaging, connection))
            {
                await create.ExecuteNonQueryAsync(ct);
            }

            return new PostgreSqlGrainStateStore(connection, serviceId, read, write, target);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            await connection.DisposeAsync();
            throw new GrainStateStoreException($"{target} has no AuthCluster schema yet: run `schema apply` first.");
        }
        catch (NpgsqlException exception)
        {
            await connection.DisposeAsync();

            // Npgsql's messages name hosts, users and SQL states, never passwords.
            throw new GrainStateStoreException($"Cannot use {target}: {exception.Message}");
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override async Task<IReadOnlyList<NewAccountOutcome>> InsertAccountsAsync(IReadOnlyList<NewAccountRows> accounts, CancellationToken ct)
    {
        if (accounts.Count == 0)
        {
            return [];
        }

        await using (var copy = await Npgsql.BeginBinaryImportAsync(
            "COPY authcluster_import_rows (ord, index_hash, index_key, index_payload, customer_hash, customer_n0, customer_n1, customer_payload) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < accounts.Count; i++)
            {
                var account = accounts[i];
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(i, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(account.Index.IdHash, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(account.Index.Extension!, NpgsqlTypes.NpgsqlDbType.Text, ct);
                await copy.WriteAsync(account.IndexPayload, NpgsqlTypes.NpgsqlDbType.Bytea, ct);
                await copy.WriteAsync(account.Customer.IdHash, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(account.Customer.N0, NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(account.Customer.N1, NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(account.CustomerPayload, NpgsqlTypes.NpgsqlDbType.Bytea, ct);
            }

            await copy.CompleteAsync(ct);
        }

        var index = accounts[0].Index;
        var customer = accounts[0].Customer;
        var outcomes = new NewAccountOutcome[accounts.Count];
        await using (var insert = new NpgsqlCommand(InsertNew, Npgsql, (NpgsqlTransaction?)Transaction))
        {
            insert.Parameters.AddWithValue("IndexTypeHash", index.TypeHash);
            insert.Parameters.AddWithValue("IndexType", index.StateName);
            insert.Parameters.AddWithValue("CustomerTypeHash", customer.TypeHash);
            insert.Parameters.AddWithValue("CustomerType", customer.StateName);
            insert.Parameters.AddWithValue("ServiceId", ServiceId);
            await using var reader = await insert.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                outcomes[reader.GetInt32(0)] = (reader.GetBoolean(1), reader.GetBoolean(2)) switch
                {
                    (false, _) => NewAccountOutcome.IndexExists,
                    (true, false) => NewAccountOutcome.CustomerExists,
                    (true, true) => NewAccountOutcome.Inserted,
                };
            }
        }

        var orphans = accounts.Where((_, i) => outcomes[i] == NewAccountOutcome.CustomerExists).Select(a => a.Index).ToList();
        if (orphans.Count > 0)
        {
            await using var delete = new NpgsqlCommand(DeleteIndexRows, Npgsql, (NpgsqlTransaction?)Transaction);
            delete.Parameters.AddWithValue("Hashes", orphans.Select(o => o.IdHash).ToArray());
            delete.Parameters.AddWithValue("Keys", orphans.Select(o => o.Extension!).ToArray());
            delete.Parameters.AddWithValue("IndexTypeHash", index.TypeHash);
            delete.Parameters.AddWithValue("IndexType", index.StateName);
            delete.Parameters.AddWithValue("ServiceId", ServiceId);
            await delete.ExecuteNonQueryAsync(ct);
        }

        return outcomes;
    }

    public override async Task<IReadOnlyList<StoredGrainState?>> ReadManyAsync(IReadOnlyList<GrainStateRowId> ids, CancellationToken ct)
    {
        var rows = new StoredGrainState?[ids.Count];
        if (ids.Count == 0)
        {
            return rows;
        }

        await using var command = new NpgsqlCommand(ReadMany, Npgsql, (NpgsqlTransaction?)Transaction);
        command.Parameters.AddWithValue("Hashes", ids.Select(i => i.IdHash).ToArray());
        command.Parameters.AddWithValue("N0s", ids.Select(i => i.N0).ToArray());
        command.Parameters.AddWithValue("N1s", ids.Select(i => i.N1).ToArray());
        command.Parameters.Add(new NpgsqlParameter<string?[]>("Keys", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = [.. ids.Select(i => i.Extension)] });
        command.Parameters.AddWithValue("TypeHash", ids[0].TypeHash);
        command.Parameters.AddWithValue("Type", ids[0].StateName);
        command.Parameters.AddWithValue("ServiceId", ServiceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var ord = (int)reader.GetInt64(0) - 1;
            rows[ord] = new StoredGrainState(reader.IsDBNull(1) ? null : (byte[])reader.GetValue(1), reader.IsDBNull(2) ? null : reader.GetInt32(2));
        }

        return rows;
    }

    protected override async Task<DbTransaction> BeginTransactionAsync(CancellationToken ct) =>
        await Npgsql.BeginTransactionAsync(ct);
}
