using System.Data.Common;
using AuthCluster.Grains.Maintenance;
using AuthCluster.Grains.Interfaces.Hosting;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orleans.Configuration;
using Microsoft.Extensions.Options;

namespace AuthCluster.Silo.Storage;

/// <summary>
/// Deletes expired rows from our grain-state table by reading the JSON payload the grains write
/// (System.Text.Json, property names as in the state classes). One statement per database.
/// </summary>
internal sealed class SqlExpiredStateStore(DbDataSource dataSource, bool postgres, IOptions<ClusterOptions> cluster) : IExpiredStateStore
{
    // PostgreSQL: jsonb of the payload; timestamps are ISO 8601 with offset, cast to timestamptz.
    private const string PostgresSql = """
        DELETE FROM orleans_grain_state s
        USING (SELECT ctid, grain_type, convert_from(payload, 'UTF8')::jsonb AS j
               FROM orleans_grain_state
               WHERE service_id = @ServiceId AND payload IS NOT NULL
                 AND grain_type IN ('session', 'guest', 'emailindex')) p
        WHERE s.ctid = p.ctid AND (
              (p.grain_type = 'session' AND ((p.j->>'ExpiresAt')::timestamptz < @Now
                                          OR (p.j->>'RevokedAt')::timestamptz < @RevokedBefore))
           OR (p.grain_type = 'guest' AND (p.j->>'CreatedAt')::timestamptz < @GuestsCreatedBefore)
           OR (p.grain_type = 'emailindex' AND p.j->>'CustomerId' IS NULL
               AND coalesce((p.j->>'LastFailureAt')::timestamptz, '-infinity') < @ThrottleIdleSince))
        """;

    // SQLite: json_extract over the BLOB read as text; julianday() normalises the offsets.
    private const string SqliteSql = """
        DELETE FROM orleans_grain_state
        WHERE service_id = @ServiceId AND payload IS NOT NULL AND (
              (grain_type = 'session' AND (julianday(json_extract(CAST(payload AS TEXT), '$.ExpiresAt')) < julianday(@Now)
                                        OR julianday(json_extract(CAST(payload AS TEXT), '$.RevokedAt')) < julianday(@RevokedBefore)))
           OR (grain_type = 'guest' AND julianday(json_extract(CAST(payload AS TEXT), '$.CreatedAt')) < julianday(@GuestsCreatedBefore))
           OR (grain_type = 'emailindex' AND json_extract(CAST(payload AS TEXT), '$.CustomerId') IS NULL
               AND ifnull(julianday(json_extract(CAST(payload AS TEXT), '$.LastFailureAt')), 0) < julianday(@ThrottleIdleSince)))
        """;

    public async Task<int> DeleteAsync(ExpiryCutoffs cutoffs, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(postgres ? PostgresSql : SqliteSql);
        Add(command, "ServiceId", cluster.Value.ServiceId);
        Add(command, "Now", Value(cutoffs.Now));
        Add(command, "RevokedBefore", Value(cutoffs.RevokedBefore));
        Add(command, "GuestsCreatedBefore", Value(cutoffs.GuestsCreatedBefore));
        Add(command, "ThrottleIdleSince", Value(cutoffs.ThrottleIdleSince));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private object Value(DateTimeOffset time) => postgres ? time.ToUniversalTime() : time.ToUniversalTime().ToString("O");

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public static IExpiredStateStore Create(StorageSettings storage, IOptions<ClusterOptions> cluster) => storage.IsPostgreSql
        ? new SqlExpiredStateStore(NpgsqlDataSource.Create(storage.ConnectionString), postgres: true, cluster)
        : new SqlExpiredStateStore(SqliteFactory.Instance.CreateDataSource(storage.ConnectionString), postgres: false, cluster);
}

/// <summary>In-memory storage (tests) forgets everything at exit anyway.</summary>
internal sealed class NoExpiredStateStore : IExpiredStateStore
{
    public Task<int> DeleteAsync(ExpiryCutoffs cutoffs, CancellationToken cancellationToken) =>
        Task.FromResult(0);
}
