using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace AuthCluster.Tests.Faults;

/// <summary>What a recorded call did, as the shop backend asked for it.</summary>
internal enum Operation
{
    Register,
    Login,
    Guest,
    Refresh,
    Validate,
    Introspect,
    Logout,
    Revoke,
    PasswordChange,

    /// <summary>The request for a reset email that starts a password change; the checker does not judge it.</summary>
    ResetRequest,
}

/// <summary>Whether a call ran under the load, or in the read-back after it, when every fault has healed.</summary>
internal enum Phase
{
    Load,
    ReadBack,
}

/// <summary>
/// One HTTP call as the client saw it: when it started and when its answer came, the status (0: no answer), and the
/// credentials it presented and was given. Tokens and passwords are kept in memory only for the read-back and the
/// checker; nothing prints them (<see cref="HistoryEntry.Fingerprint"/> is what messages show).
/// </summary>
internal sealed record HistoryEntry(
    Operation Operation,
    Phase Phase,
    string Api,
    DateTime Start,
    DateTime End,
    int Status)
{
    /// <summary>The account (email) of a registration, login or password change.</summary>
    public string? Account { get; init; }

    /// <summary>The password a registration or login presented, or the new one a password change set.</summary>
    public string? Password { get; init; }

    public string? PresentedRefresh { get; init; }

    public string? PresentedAccess { get; init; }

    public string? IssuedRefresh { get; init; }

    public string? IssuedAccess { get; init; }

    /// <summary>Validate and introspect: whether the answer said the token is active.</summary>
    public bool? Active { get; init; }

    /// <summary>2xx: the service acknowledged the call.</summary>
    public bool Acknowledged => Status is >= 200 and < 300;

    /// <summary>No answer or 5xx: the call may or may not have taken effect.</summary>
    public bool Unknown => Status is 0 or >= 500;

    /// <summary>A short, irreversible name for a secret, for messages.</summary>
    public static string Fingerprint(string? secret) =>
        secret is null ? "-" : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..8].ToLowerInvariant();
}

/// <summary>The calls of one run, appended by any number of workers.</summary>
internal sealed class History
{
    private readonly ConcurrentQueue<HistoryEntry> _entries = new();

    public void Add(HistoryEntry entry) => _entries.Enqueue(entry);

    /// <summary>Everything recorded so far, in order of start.</summary>
    public IReadOnlyList<HistoryEntry> Snapshot() => [.. _entries.OrderBy(e => e.Start)];
}
