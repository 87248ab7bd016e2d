using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace AuthCluster.Tests.Faults;

/// <summary>
/// A pod network without Kubernetes: a Linux bridge with a /24 of its own, the host at <c>.1</c> (the "node", and
/// where Services the test provides listen), and per pod a network namespace with a veth on the bridge and its own
/// address — so every pod binds its ports unchanged and reaches the others by pod IP only. Needs root and iproute2;
/// everything is removed in <see cref="Dispose"/>.
/// <para>
/// Partitions (<see cref="Cut"/>) drop a peer's packets where they arrive, silently: no RST, no ICMP, so open
/// connections go half-open and new ones hang until their timeout, as on a real network that loses packets. (A
/// blackhole <em>route</em> would not do: locally sent packets to it fail at once with EINVAL, a fast failure no
/// real partition gives.)
/// </para>
/// </summary>
internal sealed class PodNetwork : IDisposable
{
    /// <summary>Rules that drop packets sit before the local table, which every namespace moves to this preference.</summary>
    private const string LocalTablePreference = "100";
    private const string DropPreference = "10";

    private static readonly List<PodNetwork> Live = [];

    private readonly string _id;
    private readonly string _prefix;
    private readonly List<string> _namespaces = [];

    static PodNetwork()
    {
        // A crashed or aborted test run must not leave bridges and namespaces behind on the host.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Live)
            {
                foreach (var network in Live.ToList())
                {
                    network.Dispose();
                }
            }
        };
    }

    private PodNetwork(string id, string prefix)
    {
        _id = id;
        _prefix = prefix;
        Gateway = IPAddress.Parse(prefix + "1");
    }

    /// <summary>The host's address on the bridge.</summary>
    public IPAddress Gateway { get; }

    private string Bridge => "acb" + _id;

    /// <summary>Why pods cannot get network namespaces here, or null when they can.</summary>
    public static string? Unavailable() =>
        !OperatingSystem.IsLinux() ? "network namespaces need Linux"
        : Environment.UserName != "root" ? "network namespaces need root"
        : !new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.Any(File.Exists) ? "iproute2 (ip) is not installed"
        : null;

    public static PodNetwork Create()
    {
        // A random /24 in 10/8 that no interface of the host uses; the bridge name carries the same random id, so
        // test runs of several worktrees side by side do not collide.
        var used = Ip("-o", "-4", "addr", "show");
        for (var attempt = 0; ; attempt++)
        {
            var prefix = $"10.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(0, 256)}.";
            if (used.Contains(" " + prefix, StringComparison.Ordinal) && attempt < 20)
            {
                continue;
            }

            var network = new PodNetwork(Guid.NewGuid().ToString("N")[..8], prefix);
            try
            {
                Ip("link", "add", network.Bridge, "type", "bridge");
                Ip("addr", "add", network.Gateway + "/24", "dev", network.Bridge);
                Ip("link", "set", network.Bridge, "up");
                lock (Live)
                {
                    Live.Add(network);
                }

                return network;
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
    }

    /// <summary>A new pod: its namespace (loopback up, <c>eth0</c> on the bridge) and address.</summary>
    public PodSandbox AddPod(string podName)
    {
        var index = _namespaces.Count + 2;
        var name = $"ac{_id}-{index}";
        var address = IPAddress.Parse(_prefix + index.ToString(CultureInfo.InvariantCulture));
        Ip("netns", "add", name);
        _namespaces.Add(name);
        Ip("link", "add", $"acv{_id}{index}", "type", "veth", "peer", "name", "eth0", "netns", name);
        Ip("link", "set", $"acv{_id}{index}", "master", Bridge, "up");
        Ip("-n", name, "addr", "add", address + "/24", "dev", "eth0");
        Ip("-n", name, "link", "set", "eth0", "up");
        Ip("-n", name, "link", "set", "lo", "up");
        // Incoming packets are matched against the local table first (preference 0); moved behind the drop rules,
        // a rule can drop what a peer sends to this pod before it is delivered.
        Ip("-n", name, "rule", "add", "pref", LocalTablePreference, "lookup", "local");
        Ip("-n", name, "rule", "del", "pref", "0");
        return new PodSandbox(podName, name, address);
    }

    /// <summary>
    /// From now on <paramref name="pod"/> silently drops every packet <paramref name="peer"/> sends it. One direction
    /// only; <see cref="Partition"/> cuts both.
    /// </summary>
    public static void Cut(PodSandbox pod, IPAddress peer) =>
        Ip("-n", pod.NetworkNamespace, "rule", "add", "pref", DropPreference, "from", peer + "/32", "iif", "eth0", "blackhole");

    /// <summary>Undoes <see cref="Cut"/>.</summary>
    public static void Mend(PodSandbox pod, IPAddress peer) =>
        Ip("-n", pod.NetworkNamespace, "rule", "del", "pref", DropPreference, "from", peer + "/32", "iif", "eth0", "blackhole");

    /// <summary>No packet passes between <paramref name="a"/> and <paramref name="b"/> in either direction.</summary>
    public static void Partition(PodSandbox a, PodSandbox b)
    {
        Cut(a, b.Address);
        Cut(b, a.Address);
    }

    public static void Heal(PodSandbox a, PodSandbox b)
    {
        Mend(a, b.Address);
        Mend(b, a.Address);
    }

    /// <summary>Every cut still in place, for diagnostics.</summary>
    public static string Cuts(PodSandbox pod) => Ip("-n", pod.NetworkNamespace, "rule", "show", "pref", DropPreference).Trim();

    public void Dispose()
    {
        lock (Live)
        {
            Live.Remove(this);
        }

        // Deleting a namespace deletes its end of the veth pair, and with it the host's end.
        foreach (var name in _namespaces)
        {
            TryIp("netns", "del", name);
        }

        TryIp("link", "del", Bridge);
    }

    private static void TryIp(params string[] arguments)
    {
        try
        {
            Ip(arguments);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string Ip(params string[] arguments)
    {
        var info = new ProcessStartInfo("ip", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output.Result
            : throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Trim()}");
    }
}

/// <summary>One pod's network identity: the name <c>metadata.name</c> gives, the namespace, the pod IP.</summary>
internal sealed record PodSandbox(string PodName, string NetworkNamespace, IPAddress Address);
