using System.Data.Common;
using Npgsql;

namespace AuthCluster.Silo.Storage;

/// <summary>The connection string Orleans' ADO.NET providers (grain storage, membership, reminders) get for PostgreSQL.</summary>
public static class PostgreSqlConnections
{
    /// <summary>Prepared statements per connection: more than the providers' few distinct query texts.</summary>
    private const int AutoPrepared = 32;

    /// <summary>
    /// With Npgsql's automatic preparation: a query text that a connection has run a few times is prepared on the server,
    /// so PostgreSQL stops parsing and planning the grain storage and membership queries on every call. A
    /// <c>Max Auto Prepare</c> in the operator's connection string wins (0 turns it off, as a pooler in transaction
    /// mode needs).
    /// </summary>
    public static string ForOrleans(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase)))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = AutoPrepared }.ConnectionString;
    }
}
