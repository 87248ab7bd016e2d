using AuthCluster.Silo.Hosting;
using AuthCluster.Silo.Storage;

namespace AuthCluster.Silo;

public static class SiloProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);

        if (args is ["schema", "apply", ..])
        {
            await DatabaseSchema.ApplyPostgreSqlAsync(StorageSettings.From(builder.Configuration).ConnectionString);
            Console.WriteLine("Schema is up to date.");
            return 0;
        }

        builder.UseOrleans(silo => silo.AddAuthSilo(builder.Configuration));
        await builder.Build().RunAsync();
        return 0;
    }
}
