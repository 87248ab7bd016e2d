using AuthCluster.Silo.Cli;
using AuthCluster.Silo.Hosting;

namespace AuthCluster.Silo;

public static class SiloProgram
{
    /// <summary>
    /// Runs a silo node, or — when the first argument is a command word (<c>schema apply</c>,
    /// <c>customers import</c>, <c>--help</c>, …) — an admin command that exits. Configuration overrides
    /// (<c>--Section:Key=value</c>) work for both.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (IsCommand(args))
        {
            return await AdminCommands.RunAsync(args);
        }

        var builder = Host.CreateApplicationBuilder(args);
        builder.AddSiloManagement();
        builder.AddAuthTelemetry(Telemetry.Silo);
        builder.UseAuthSilo();
        return await builder.Build().RunWithShutdownDeadlineAsync();
    }

    /// <summary>A node is started with configuration overrides only; anything else asks for a command.</summary>
    private static bool IsCommand(string[] args) =>
        args is [var first, ..] && (!first.StartsWith('-') || first is "--help" or "-h" or "-?");
}
