using System.Data.Common;
using AuthCluster.Silo.Storage;
using Microsoft.Data.Sqlite;

namespace AuthCluster.Tests.Storage;

public sealed class SqliteGrainStorageTests : GrainStorageConformanceTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"authcluster-sqlite-{Guid.NewGuid():N}");

    protected override string Invariant => "System.Data.SQLite";

    protected override string? ConnectionString => $"Data Source={Path.Combine(_directory, "orleans.db")}";

    protected override string SkipReason => "never skipped";

    protected override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);

    public override Task InitializeAsync() => DatabaseSchema.ApplySqliteAsync(ConnectionString!);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        // Pooled connections keep the file open.
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
