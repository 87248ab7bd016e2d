using AuthCluster.Silo.Storage;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AuthCluster.Tests.Storage;

[Collection(PostgreSqlCollection.Name)]
public sealed class DatabaseSchemaTests(PostgreSqlFixture database) : IDisposable
{
    private static readonly string[] PersistenceKeys = ["ClearStorageKey", "DeleteStorageKey", "ReadFromStorageKey", "WriteToStorageKey"];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"authcluster-schema-{Guid.NewGuid():N}");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public void LoadScripts_EachDialect_ReturnsVersionedScriptsInOrder(string dialect)
    {
        // Act
        var scripts = DatabaseSchema.LoadScripts(dialect);

        // Assert
        Assert.NotEmpty(scripts);
        Assert.Equal(1, scripts[0].Version);
        Assert.Equal(scripts.Select(s => s.Version).Order(), scripts.Select(s => s.Version));
        Assert.All(scripts, s => Assert.False(string.IsNullOrWhiteSpace(s.Text)));
    }

    [Fact]
    public async Task ApplySqliteAsync_MissingDirectory_CreatesWalDatabaseWithPersistenceQueries()
    {
        // Arrange
        var connectionString = $"Data Source={Path.Combine(_directory, "nested", "orleans.db")}";

        // Act
        await DatabaseSchema.ApplySqliteAsync(connectionString);

        // Assert
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        Assert.Equal("wal", await ScalarAsync<string>(connection, "PRAGMA journal_mode;"));
        Assert.Equal(PersistenceKeys, await QueryKeysAsync(connection));
        Assert.Equal(DatabaseSchema.LoadScripts("sqlite").Count, await ScalarAsync<long>(connection, "SELECT COUNT(*) FROM authcluster_schema_migrations"));
    }

    [Fact]
    public async Task ApplySqliteAsync_ConcurrentAndRepeatedRuns_RecordEachScriptOnce()
    {
        // Arrange
        var connectionString = $"Data Source={Path.Combine(_directory, "orleans.db")}";

        // Act
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => DatabaseSchema.ApplySqliteAsync(connectionString))));
        await DatabaseSchema.ApplySqliteAsync(connectionString);

        // Assert
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        Assert.Equal(DatabaseSchema.LoadScripts("sqlite").Count, await ScalarAsync<long>(connection, "SELECT COUNT(*) FROM authcluster_schema_migrations"));
        Assert.Equal(PersistenceKeys, await QueryKeysAsync(connection));
    }

    [SkippableFact]
    [ProcessLevel]
    public async Task ApplyPostgreSqlAsync_ConcurrentRunsOnEmptyDatabase_ApplyEachScriptOnce()
    {
        // Arrange
        var connectionString = await database.CreateEmptyDatabaseAsync();
        try
        {
            // Act
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => DatabaseSchema.ApplyPostgreSqlAsync(connectionString))));
            await DatabaseSchema.ApplyPostgreSqlAsync(connectionString);

            // Assert
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            Assert.Equal(DatabaseSchema.LoadScripts("postgresql").Count, await ScalarAsync<long>(connection, "SELECT COUNT(*) FROM authcluster_schema_migrations"));
            // The providers' bootstrap text, verbatim: proves the unquoted names fold to our tables.
            var keys = await QueryKeysAsync(connection);
            Assert.Equal(21, keys.Count);
            Assert.Subset(keys.ToHashSet(), PersistenceKeys.ToHashSet());
            Assert.Contains("CleanupDefunctSiloEntryKey", keys);
            Assert.Contains("UpsertReminderRowKey", keys);
        }
        finally
        {
            await PostgreSqlFixture.DropDatabaseAsync(connectionString);
        }
    }

    private static async Task<List<string>> QueryKeysAsync(System.Data.Common.DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT QueryKey, QueryText FROM OrleansQuery";
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    private static async Task<T> ScalarAsync<T>(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
