using System.Data.Common;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Hosting;
using AuthCluster.Silo.Storage;
using Npgsql;

namespace AuthCluster.Silo;

public static class SiloProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);

        if (args is ["schema", "apply", ..])
        {
            return await ApplySchemaAsync(StorageSettings.From(builder.Configuration).ConnectionString);
        }

        builder.AddSiloManagement();
        builder.UseAuthSilo();
        await builder.Build().RunAsync();
        return 0;
    }

    /// <summary>
    /// <c>schema apply</c>: brings the PostgreSQL database up to date and exits; safe to run again and from
    /// several places at once. Prints where it connected but never the connection string (it may hold a password).
    /// </summary>
    private static async Task<int> ApplySchemaAsync(string connectionString)
    {
        string target;
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(connectionString);
            target = $"{parsed.Host}:{parsed.Port}/{parsed.Database}";
        }
        catch (ArgumentException)
        {
            await Console.Error.WriteLineAsync("Storage:ConnectionString is not a valid PostgreSQL connection string.");
            return 2;
        }

        try
        {
            await DatabaseSchema.ApplyPostgreSqlAsync(connectionString);
        }
        catch (DbException exception)
        {
            // Npgsql's messages name hosts, users and SQL states, never passwords.
            await Console.Error.WriteLineAsync($"Schema apply on {target} failed: {exception.Message}");
            return 1;
        }

        Console.WriteLine($"Schema of {target} is up to date.");
        return 0;
    }
}
