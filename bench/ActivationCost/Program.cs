using System.Diagnostics;
using System.Globalization;
using AuthCluster.ActivationCost;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// What one activation costs a silo: the managed heap per activation while N of them are in memory, and what is
// left of them after the silo has collected them all. Two kinds side by side: a grain with no state and no code
// (what Orleans itself costs per activation, whatever the grain) and a session started as a login starts one.
// Heap sizes are measured after full, compacting collections, so garbage is not counted. What stays after collection
// is Orleans' cache of grain locations, which keeps an entry until it is evicted (the silo bounds it: see
// AuthSiloExtensions.DirectoryCacheSize).

if (args is ["-h" or "--help" or "help", ..] || args.Length > 1 || (args.Length == 1 && !int.TryParse(args[0], out _)))
{
    Console.Error.WriteLine("usage: ActivationCost [count]   (activations per kind, default 100000)");
    return args is ["-h" or "--help" or "help"] ? 0 : 2;
}

var count = args.Length == 1 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var database = Path.Combine(Path.GetTempPath(), $"activation-cost-{Guid.NewGuid():N}.db");
try
{
    // Development: the node's defaults for a developer's machine (a local key, mail to a folder); nothing is sent.
    var builder = Host.CreateApplicationBuilder([
        "--environment=Development", "--Storage:Provider=Sqlite", $"--Storage:ConnectionString=Data Source={database}",
        $"--Cluster:SiloPort={FreePort()}", $"--Cluster:GatewayPort={FreePort()}", "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:Orleans=Error"]); // not its advice on server GC, nor the pauses the forced collections make
    builder.UseAuthSilo();
    using var host = builder.Build();
    await host.StartAsync();
    var grains = host.Services.GetRequiredService<IGrainFactory>();

    await MeasureAsync("empty grain (Orleans' own cost)", i => grains.GetGrain<IEmptyGrain>(i).Touch());
    var client = new ClientContext("bench", "192.0.2.1", "AuthCluster.LoadGen");
    await MeasureAsync("session grain, started", _ => grains.GetGrain<ISessionGrain>(Guid.NewGuid())
        .Start(new SessionStart(Guid.NewGuid(), CustomerType.Guest, 1, client)));
    await host.StopAsync();

    async Task MeasureAsync(string kind, Func<long, Task> activate)
    {
        // A round of the same size first, not counted: the silo's tables grow to their working size once.
        await ActivateAsync(kind + ", warm-up", activate, offset: 0);
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var before = SettledHeap();
        await ActivateAsync(kind, activate, offset: count);
        var active = SettledHeap();
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var collected = SettledHeap();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"activations {kind,-32} {(active - before) / (double)count,6:F0} B each while active, " +
            $"{(collected - before) / (double)count,5:F0} B each after collection (managed heap {Mib(before):F0} → {Mib(active):F0} → {Mib(collected):F0} MiB, N = {count:N0})"));
    }

    async Task ActivateAsync(string what, Func<long, Task> activate, long offset)
    {
        var clock = Stopwatch.StartNew();
        var done = 0;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            await activate(offset + i);
            var finished = Interlocked.Increment(ref done);
            if (finished % Math.Max(1, count / 4) == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what}: {finished:N0} of {count:N0} ({clock.Elapsed.TotalSeconds:F0} s)"));
            }
        });
    }
}
finally
{
    foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(database) + "*"))
    {
        File.Delete(file);
    }
}

return 0;

static long SettledHeap()
{
    for (var i = 0; i < 3; i++)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    return GC.GetTotalMemory(forceFullCollection: true);
}

static double Mib(long bytes) => bytes / 1048576.0;

/// <summary>A port nobody listens on now, for the silo's two listeners.</summary>
static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}
