using System.Globalization;

namespace AuthCluster.LoadGen;

/// <summary>
/// The processes of one tier (API nodes, silos, the database), read from <c>/proc</c>: CPU time used (user +
/// system) and peak resident memory. A database tier named by its postmaster (<c>db:PID</c>) also counts every
/// backend that postmaster forked, since that is where PostgreSQL's work happens.
/// </summary>
internal sealed record Tier(string Name, IReadOnlyList<int> Pids, bool WithChildren)
{
    // /proc reports CPU in USER_HZ ticks, which the kernel ABI fixes at 100 per second.
    private const double TicksPerSecond = 100;

    public static Tier Parse(string text)
    {
        var (name, pids) = text.Split('=', 2) is [var n, var p] && n.Length > 0 ? (n, p) : throw new ArgumentException($"--tier {text}: expected NAME=PID[,PID...].");
        var withChildren = pids.StartsWith("db:", StringComparison.Ordinal);
        var list = (withChildren ? pids[3..] : pids).Split(',').Select(p =>
            int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : throw new ArgumentException($"--tier {text}: '{p}' is not a process id.")).ToList();
        return new Tier(name, list, withChildren);
    }

    /// <summary>CPU time used so far by the tier's processes that are alive now.</summary>
    public TimeSpan CpuTime() => TimeSpan.FromSeconds(Processes().Sum(pid => Stat(pid) is { } s ? s.Ticks : 0) / TicksPerSecond);

    /// <summary>The highest resident memory any one of the tier's processes has reached (VmHWM), in MiB.</summary>
    public double PeakRssMiB() => Processes().Select(pid => StatusKiB(pid, "VmHWM:")).DefaultIfEmpty(0).Max() / 1024.0;

    /// <summary>The resident memory of the tier's processes now (VmRSS, summed), in MiB.</summary>
    public double RssMiB() => Processes().Sum(pid => StatusKiB(pid, "VmRSS:")) / 1024.0;

    private IEnumerable<int> Processes()
    {
        if (!WithChildren)
        {
            return Pids;
        }

        var parents = Pids.ToHashSet();
        return Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0 && (parents.Contains(pid) || Stat(pid) is { } s && parents.Contains(s.Parent)))
            .ToList();
    }

    /// <summary>Parent and user+system ticks from <c>/proc/PID/stat</c>; null once the process is gone.</summary>
    private static (int Parent, long Ticks)? Stat(int pid)
    {
        try
        {
            // The command name (field 2) may hold spaces and parentheses: the fields after its closing ')' are fixed.
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long StatusKiB(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
