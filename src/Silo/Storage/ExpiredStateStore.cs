using System.Data.Common;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Grains.Maintenance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace AuthCluster.Silo.Storage;

/// <summary>
/// Deletes expired rows from our grain-state table by reading the JSON payload the grains write. One statement per
/// database; which rows and which JSON members it reads come in as parameters from <see cref="ExpiryFields"/>, so
/// the SQL names no state and no property of its own.
/// </summary>
internal sealed class SqlExpiredStateStore(DbDataSource dataSource, bool postgres, IOptions<ClusterOptions> cluster, ExpiryFields fields)
    : IExpiredStateStore
{
    // PostgreSQL: jsonb of the payload; timestamps are ISO 8601 with offset, cast to timestamptz.
    private const string PostgresSql = """
        DELETE FROM orleans_grain_state s
        USING (SELECT ctid, grain_type, convert_from(payload, 'UTF8')::jsonb AS j
               FROM orleans_grain_state
               WHERE service_id = @ServiceId AND payload IS NOT NULL
                 AND grain_type IN (@Session, @Guest, @EmailIndex, @PasswordReset)) p
        WHERE s.ctid = p.ctid AND (
              (p.grain_type = @Session AND ((p.j->>@SessionExpiresAt)::timestamptz < @Now
                                         OR (p.j->>@SessionRevokedAt)::timestamptz < @RevokedBefore))
           OR (p.grain_type = @Guest AND (p.j->>@GuestCreatedAt)::timestamptz < @GuestsCreatedBefore)
           OR (p.grain_type = @EmailIndex AND p.j->>@EmailIndexCustomerId IS NULL
               AND coalesce((p.j->>@EmailIndexLastFailureAt)::timestamptz, '-infinity') < @ThrottleIdleSince)
           OR (p.grain_type = @PasswordReset AND (p.j->>@PasswordResetExpiresAt)::timestamptz < @ResetsExpiredBefore))
        """;

    // SQLite: json_extract over the BLOB read as text (the parameters are JSON paths); julianday() normalises the offsets.
    private const string SqliteSql = """
        DELETE FROM orleans_grain_state
        WHERE service_id = @ServiceId AND payload IS NOT NULL AND (
              (grain_type = @Session AND (julianday(json_extract(CAST(payload AS TEXT), @SessionExpiresAt)) < julianday(@Now)
                                       OR julianday(json_extract(CAST(payload AS TEXT), @SessionRevokedAt)) < julianday(@RevokedBefore)))
           OR (grain_type = @Guest AND julianday(json_extract(CAST(payload AS TEXT), @GuestCreatedAt)) < julianday(@GuestsCreatedBefore))
           OR (grain_type = @EmailIndex AND json_extract(CAST(payload AS TEXT), @EmailIndexCustomerId) IS NULL
               AND ifnull(julianday(json_extract(CAST(payload AS TEXT), @EmailIndexLastFailureAt)), 0) < julianday(@ThrottleIdleSince))
           OR (grain_type = @PasswordReset AND julianday(json_extract(CAST(payload AS TEXT), @PasswordResetExpiresAt)) < julianday(@ResetsExpiredBefore)))
        """;

    public async Task<int> DeleteAsync(ExpiryCutoffs cutoffs, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(postgres ? PostgresSql : SqliteSql);
        Add(command, "ServiceId", cluster.Value.ServiceId);
        Add(command, "Session", fields.Session.State);
        Add(command, "SessionExpiresAt", Member(fields.Session.ExpiresAt));
        Add(command, "SessionRevokedAt", Member(fields.Session.RevokedAt));
        Add(command, "Guest", fields.Guest.State);
        Add(command, "GuestCreatedAt", Member(fields.Guest.CreatedAt));
        Add(command, "EmailIndex", fields.EmailIndex.State);
        Add(command, "EmailIndexCustomerId", Member(fields.EmailIndex.CustomerId));
        Add(command, "EmailIndexLastFailureAt", Member(fields.EmailIndex.LastFailureAt));
        Add(command, "PasswordReset", fields.PasswordReset.State);
        Add(command, "PasswordResetExpiresAt", Member(fields.PasswordReset.ExpiresAt));
        Add(command, "Now", Value(cutoffs.Now));
        Add(command, "RevokedBefore", Value(cutoffs.RevokedBefore));
        Add(command, "GuestsCreatedBefore", Value(cutoffs.GuestsCreatedBefore));
        Add(command, "ThrottleIdleSince", Value(cutoffs.ThrottleIdleSince));
        Add(command, "ResetsExpiredBefore", Value(cutoffs.ResetsExpiredBefore));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>PostgreSQL's <c>-&gt;&gt;</c> takes the member name; SQLite's <c>json_extract</c> a path (quoted, so any name is one label).</summary>
    private string Member(string name) => postgres ? name : $"$.\"{name}\"";

    private object Value(DateTimeOffset time) => postgres ? time.ToUniversalTime() : time.ToUniversalTime().ToString("O");

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public static IExpiredStateStore Create(StorageSettings storage, IOptions<ClusterOptions> cluster, ExpiryFields fields) => storage.IsPostgreSql
        ? new SqlExpiredStateStore(NpgsqlDataSource.Create(storage.ConnectionString), postgres: true, cluster, fields)
        : new SqlExpiredStateStore(SqliteFactory.Instance.CreateDataSource(storage.ConnectionString), postgres: false, cluster, fields);
}

/// <summary>In-memory storage (tests) forgets everything at exit anyway.</summary>
internal sealed class NoExpiredStateStore : IExpiredStateStore
{
    public Task<int> DeleteAsync(ExpiryCutoffs cutoffs, CancellationToken cancellationToken) =>
        Task.FromResult(0);
}
