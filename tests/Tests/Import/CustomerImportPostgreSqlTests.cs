using System.Net;
using AuthCluster.Silo.Storage;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;
using Npgsql;

namespace AuthCluster.Tests.Import;

/// <summary>
/// Import and export against PostgreSQL, the cluster's store, through its bulk path (COPY and one insert per
/// batch) while a node serves: every hash format logs in and is upgraded, a re-run changes nothing, existing
/// emails are skipped or updated, and export → import moves the customers into another database.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public sealed class CustomerImportPostgreSqlTests(PostgreSqlFixture postgres)
{
    [SkippableFact]
    public async Task ImportLoginExportImport_OnPostgreSql_BehavesAsOnSqlite()
    {
        await using var node = await StartNodeAsync();
        var http = node.ClientFor();
        var registered = TestApi.UniqueEmail("pg-registered");
        await http.RegisteredAsync(registered);
        var throttled = TestApi.UniqueEmail("pg-throttled");
        (await http.LoginAsync(throttled, "guess")).Dispose();
        var customers = CustomerImportTests.HashesOfOtherSystems()
            .Select(row => (Email: TestApi.UniqueEmail("pg"), Hash: (string)row[1], Password: (string)row[2]))
            .Append((Email: throttled, Hash: BCrypt.Net.BCrypt.HashPassword("rightful", 4), Password: "rightful"))
            .ToList();
        var file = AdminCli.WriteLines([
            .. customers.Select(c => AdminCli.Line(c.Email, c.Hash)),
            AdminCli.Line(registered, BCrypt.Net.BCrypt.HashPassword("old-system", 4), firstName: "Updated"),
            AdminCli.Line("broken-email"),
        ]);

        var first = await AdminCli.RunAsync(["customers", "import", file, "--json", .. AdminCli.StoreOf(node)]);
        var second = await AdminCli.RunAsync(["customers", "import", file, "--json", .. AdminCli.StoreOf(node)]);
        var update = await AdminCli.RunAsync(["customers", "import", file, "--update", "--json", .. AdminCli.StoreOf(node)]);
        var logins = new List<(string Email, HttpStatusCode Wrong, HttpStatusCode Right)>();
        foreach (var customer in customers)
        {
            // The throttled email's grain read its row before the import: its first answer is the one 503.
            var wrong = await LoginUntilAnsweredAsync(http, customer.Email, customer.Password + "!");
            var right = await LoginUntilAnsweredAsync(http, customer.Email, customer.Password);
            logins.Add((customer.Email, wrong, right));
        }

        var exported = await AdminCli.RunAsync(["customers", "export", .. AdminCli.StoreOf(node)]);

        Assert.Equal(3, first.ExitCode);
        Assert.Equal(customers.Count, first.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(1, first.OutJson.GetProperty("skipped").GetProperty("exists").GetInt64());
        Assert.Contains("\"outcome\":\"rejected\",\"field\":\"email\"", first.Error, StringComparison.Ordinal);
        Assert.Equal(0, second.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(customers.Count, second.OutJson.GetProperty("skipped").GetProperty("already_imported").GetInt64());
        Assert.Equal(1, update.OutJson.GetProperty("updated").GetInt64());
        Assert.Equal(customers.Count, update.OutJson.GetProperty("skipped").GetProperty("unchanged").GetInt64());
        Assert.All(logins, l => Assert.Equal((l.Email, HttpStatusCode.Unauthorized, HttpStatusCode.OK), l));
        var lines = exported.DataLines;
        Assert.All(customers, c => Assert.StartsWith(
            "authcluster-bcrypt-sha384:",
            lines.Single(l => l.GetProperty("email").GetString() == c.Email).GetProperty("password_hash").GetString(),
            StringComparison.Ordinal));
        Assert.Equal("Updated", lines.Single(l => l.GetProperty("email").GetString() == registered).GetProperty("first_name").GetString());

        // Another database (another cluster, or a single node): everything moves, and logs in there.
        await using var other = await StartNodeAsync();
        var moved = await AdminCli.RunAsync(["customers", "import", AdminCli.WriteLines([.. lines.Select(l => l.GetRawText())]), "--json", .. AdminCli.StoreOf(other)]);
        var exportedThere = await AdminCli.RunAsync(["customers", "export", .. AdminCli.StoreOf(other)]);
        using var loginThere = await other.ClientFor().LoginAsync(customers[0].Email, customers[0].Password);

        Assert.Equal(lines.Count, moved.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(lines.Select(l => l.GetRawText()).Order(StringComparer.Ordinal), exportedThere.DataLines.Select(l => l.GetRawText()).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.OK, loginThere.StatusCode);
    }

    [SkippableFact]
    public async Task Import_ManyLinesWithDuplicates_OneAccountPerEmailAndBatchesAcrossTheFile()
    {
        await using var node = await StartNodeAsync();
        var emails = Enumerable.Range(0, 12_000).Select(i => $"bulk{i}-{Guid.NewGuid():N}@example.com").ToList();
        var file = AdminCli.WriteLines([.. emails.Select(e => AdminCli.Line(e)), .. emails.Take(3).Select(e => AdminCli.Line(e.ToUpperInvariant()))]);

        var run = await AdminCli.RunAsync(["customers", "import", file, "--json", .. AdminCli.StoreOf(node)]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(12_000, run.OutJson.GetProperty("imported").GetInt64());
        Assert.Equal(3, run.OutJson.GetProperty("skipped").GetProperty("already_imported").GetInt64());
        await using var connection = new NpgsqlConnection(node.Settings["Storage:ConnectionString"]);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT grain_type, COUNT(*) FROM orleans_grain_state GROUP BY grain_type ORDER BY grain_type", connection);
        await using var reader = await count.ExecuteReaderAsync();
        var counts = new Dictionary<string, long>();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        Assert.Equal(12_000, counts["customer"]);
        Assert.Equal(12_000, counts["emailindex"]);
    }

    private async Task<AuthApiFactory> StartNodeAsync()
    {
        var connectionString = await postgres.CreateEmptyDatabaseAsync();
        await DatabaseSchema.ApplyPostgreSqlAsync(connectionString);
        var factory = new AuthApiFactory(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["Storage:ConnectionString"] = connectionString,
        });
        _ = factory.Server;
        return factory;
    }

    private static async Task<HttpStatusCode> LoginUntilAnsweredAsync(HttpClient http, string email, string password)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await http.LoginAsync(email, password);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 2)
            {
                return response.StatusCode;
            }
        }
    }
}
