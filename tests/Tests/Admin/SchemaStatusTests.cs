using AuthCluster.Silo.Cli;
using AuthCluster.Silo.Storage;
using AuthCluster.Tests.Import;
using AuthCluster.Tests.Storage;
using Microsoft.Data.Sqlite;

namespace AuthCluster.Tests.Admin;

/// <summary><c>schema status</c> and what <c>schema apply</c> reports, on the throw-away PostgreSQL server and on SQLite.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class SchemaStatusTests(PostgreSqlFixture database)
{
    [SkippableFact]
    public async Task SchemaStatusAndApply_EmptyPostgreSqlDatabase_ShowPendingThenApplyEachScriptOnce()
    {
        // Arrange
        var connectionString = await database.CreateEmptyDatabaseAsync();
        string[] target = ["--Storage:Provider=PostgreSql", $"--Storage:ConnectionString={connectionString}"];
        var scripts = DatabaseSchema.LoadScripts("postgresql").Select(s => s.Name).ToList();
        try
        {
            // Act
            var before = await AdminCli.RunAsync(["schema", "status", "--json", .. target]);
            var apply = await AdminCli.RunAsync(["schema", "apply", "--json", .. target]);
            var after = await AdminCli.RunAsync(["schema", "status", "--json", .. target]);
            var again = await AdminCli.RunAsync(["schema", "apply", .. target]);
            var text = await AdminCli.RunAsync(["schema", "status", .. target]);

            // Assert
            Assert.Equal(ExitCodes.Pending, before.ExitCode);
            Assert.False(before.OutJson.GetProperty("up_to_date").GetBoolean());
            Assert.All(before.OutJson.GetProperty("scripts").EnumerateArray(), s => Assert.Equal("pending", s.GetProperty("state").GetString()));
            Assert.Equal(ExitCodes.Ok, apply.ExitCode);
            Assert.Equal(scripts, apply.OutJson.GetProperty("applied").EnumerateArray().Select(s => s.GetString()));
            Assert.Equal(ExitCodes.Ok, after.ExitCode);
            Assert.Equal(scripts, after.OutJson.GetProperty("scripts").EnumerateArray().Select(s => s.GetProperty("script").GetString()));
            Assert.All(after.OutJson.GetProperty("scripts").EnumerateArray(), s =>
            {
                Assert.Equal("applied", s.GetProperty("state").GetString());
                Assert.InRange(s.GetProperty("applied_at").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
            });
            Assert.Contains("already up to date", again.Out, StringComparison.Ordinal);
            Assert.Contains("up to date", text.Out, StringComparison.Ordinal);
            Assert.Contains(scripts[0], text.Out, StringComparison.Ordinal);
        }
        finally
        {
            await PostgreSqlFixture.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task SchemaStatus_SqliteFileMissingAScript_ListsItPendingAndExits5()
    {
        // Arrange
        var file = Path.Combine(Path.GetTempPath(), "authcluster-tests", Guid.NewGuid().ToString("N"), "auth.db");
        await DatabaseSchema.ApplySqliteAsync($"Data Source={file}");
        var last = DatabaseSchema.LoadScripts("sqlite")[^1];
        await using (var connection = new SqliteConnection($"Data Source={file}"))
        {
            await connection.OpenAsync();
            await using var delete = connection.CreateCommand();
            delete.CommandText = $"DELETE FROM authcluster_schema_migrations WHERE version = {last.Version};";
            await delete.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();

        // Act
        var run = await AdminCli.RunAsync(["schema", "status", "--json", "--Storage:Provider=Sqlite", $"--Storage:ConnectionString=Data Source={file}"]);
        var missing = await AdminCli.RunAsync(["schema", "status", "--Storage:Provider=Sqlite", $"--Storage:ConnectionString=Data Source={file}.absent"]);

        // Assert
        Assert.Equal(ExitCodes.Pending, run.ExitCode);
        var pending = Assert.Single(run.OutJson.GetProperty("scripts").EnumerateArray(), s => s.GetProperty("state").GetString() == "pending");
        Assert.Equal(last.Name, pending.GetProperty("script").GetString());
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.False(File.Exists(file + ".absent"));
    }
}
