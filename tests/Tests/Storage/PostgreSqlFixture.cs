using AuthCluster.Silo.Storage;
using AuthCluster.Tests.Cluster;
using Npgsql;

namespace AuthCluster.Tests.Storage;

/// <summary>
/// A fresh PostgreSQL database per test run, created from our own scripts only and dropped afterwards.
/// The server comes from <c>AUTHCLUSTER_TEST_POSTGRES</c> (see .ci/postgres.sh); without it, a throw-away server
/// of the run's own when PostgreSQL is installed; only where neither exists do the tests skip.
/// </summary>
public sealed class PostgreSqlFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "AUTHCLUSTER_TEST_POSTGRES";
    public const string SkipReason = $"PostgreSQL not available: set {EnvironmentVariable} (e.g. from `.ci/postgres.sh start`) or install PostgreSQL.";

    private string? _serverConnectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);

    private ThrowawayPostgres? _ownServer;

    /// <summary>Connection string of this run's database, or null when PostgreSQL is not configured.</summary>
    public string? ConnectionString { get; private set; }

    public async Task InitializeAsync()
    {
        if (string.IsNullOrWhiteSpace(_serverConnectionString) && ThrowawayPostgres.IsInstalled)
        {
            _ownServer = await ThrowawayPostgres.StartAsync();
            _serverConnectionString = _ownServer.ConnectionString;
        }

        if (string.IsNullOrWhiteSpace(_serverConnectionString))
        {
            return;
        }

        ConnectionString = await CreateDatabaseAsync(_serverConnectionString);
        await DatabaseSchema.ApplyPostgreSqlAsync(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (ConnectionString is not null)
        {
            await DropDatabaseAsync(ConnectionString);
        }

        if (_ownServer is not null)
        {
            await _ownServer.DisposeAsync();
        }
    }

    /// <summary>Creates an empty database on the configured server and returns its connection string.</summary>
    public async Task<string> CreateEmptyDatabaseAsync()
    {
        Skip.If(string.IsNullOrWhiteSpace(_serverConnectionString), SkipReason);
        return await CreateDatabaseAsync(_serverConnectionString!);
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database!;
        // Pooled idle connections would otherwise keep the database busy.
        NpgsqlConnection.ClearAllPools();
        builder.Database = "postgres";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE);", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> CreateDatabaseAsync(string serverConnectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(serverConnectionString);
        var name = $"authcluster_test_{Guid.NewGuid():N}";
        var admin = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres" };
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", connection);
            await create.ExecuteNonQueryAsync();
            // A far-from-UTC session time zone proves that no timestamp depends on it.
            await using var timeZone = new NpgsqlCommand($"ALTER DATABASE \"{name}\" SET TimeZone = 'Pacific/Chatham';", connection);
            await timeZone.ExecuteNonQueryAsync();
        }

        builder.Database = name;
        return builder.ConnectionString;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection : ICollectionFixture<PostgreSqlFixture>
{
    public const string Name = "PostgreSql";
}
