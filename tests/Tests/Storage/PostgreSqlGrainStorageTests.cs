using System.Data.Common;
using AuthCluster.Tests.Infrastructure;
using Npgsql;

namespace AuthCluster.Tests.Storage;

[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public sealed class PostgreSqlGrainStorageTests(PostgreSqlFixture database) : GrainStorageConformanceTests
{
    protected override string Invariant => "Npgsql";

    protected override string? ConnectionString => database.ConnectionString;

    protected override string SkipReason => PostgreSqlFixture.SkipReason;

    protected override DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(connectionString);
}
