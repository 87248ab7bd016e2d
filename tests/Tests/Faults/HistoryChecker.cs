using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Tests.Faults;

/// <summary>The kinds of broken promise the checker looks for.</summary>
internal enum ViolationKind
{
    /// <summary>An acknowledged registration or password change does not hold: the password is refused, or a replaced one works.</summary>
    PasswordLost,

    /// <summary>One refresh token yielded two different successors.</summary>
    TwoSuccessors,

    /// <summary>The last acknowledged successor of a live session was refused in the read-back.</summary>
    SuccessorRefused,

    /// <summary>A retired refresh token was accepted after the grace window.</summary>
    RetiredTokenAccepted,

    /// <summary>A validate or introspect that started after a revocation was acknowledged answered active.</summary>
    ActiveAfterRevocation,

    /// <summary>A session whose revocation was acknowledged refreshed again.</summary>
    RevocationUndone,

    /// <summary>A live, unambiguous session did not validate in the read-back.</summary>
    LiveSessionRefused,

    /// <summary>Something the read-back should have checked was never answered.</summary>
    Unverified,
}

/// <summary>A broken promise; for one of a session, the session's id (what node logs name) and every call that touched it.</summary>
internal sealed record Violation(ViolationKind Kind, string Detail, Guid? SessionId = null, string Timeline = "")
{
    public override string ToString() => $"{Kind}: {Detail}{Timeline}";
}

/// <summary>What the checker found, with how much it could check.</summary>
internal sealed record CheckResult(
    IReadOnlyList<Violation> Violations,
    int Accounts,
    int Sessions,
    int RevokedSessions,
    int AmbiguousSessions,
    int Refreshes)
{
    public bool Holds => Violations.Count == 0;

    public string Summary =>
        FormattableString.Invariant($"{Accounts} accounts, {Sessions} sessions ({RevokedSessions} revoked, {AmbiguousSessions} ambiguous), {Refreshes} refreshes checked: ")
        + (Holds ? "every invariant holds" : FormattableString.Invariant($"{Violations.Count} violations ({string.Join(", ", Violations.GroupBy(v => v.Kind).Select(g => $"{g.Key}×{g.Count()}"))})"));
}

/// <summary>
/// Checks a recorded history against the service's promises, trusting nothing but the history itself: which tokens
/// belong to which session is rebuilt from what each answer handed out, and what must hold at the end is judged from
/// the read-back calls recorded after the load. A call without an answer (or with a 5xx) may or may not have taken
/// effect, so whatever it could have changed is left out of the checks that depend on it, never assumed either way.
/// </summary>
internal static class HistoryChecker
{
    public static CheckResult Check(IReadOnlyList<HistoryEntry> history, TimeSpan refreshReuseGrace)
    {
        var entries = history.OrderBy(e => e.Start).ToList();
        var sessions = Sessions(entries);
        var violations = new List<Violation>();
        violations.AddRange(TwoSuccessors(entries));
        violations.AddRange(RetiredTokensAccepted(entries, refreshReuseGrace));
        violations.AddRange(RevocationsHold(entries, sessions));
        violations.AddRange(LiveSessionsWork(entries, sessions));
        var accounts = AccountsHold(entries, out var accountCount);
        violations.AddRange(accounts);
        return new CheckResult(
            violations,
            accountCount,
            sessions.Count,
            sessions.Count(s => s.RevokedAt is not null),
            sessions.Count(s => s.Ambiguous),
            entries.Count(e => e.Operation == Operation.Refresh && e.Acknowledged));
    }

    /// <summary>A refresh-token family as the answers built it: every token handed out for it, and what ended it.</summary>
    private sealed class Session(HistoryEntry created)
    {
        public HistoryEntry Created { get; } = created;

        public string? Owner => Created.Operation == Operation.Guest ? null : Created.Account;

        public HashSet<string> RefreshTokens { get; } = new(StringComparer.Ordinal);

        public HashSet<string> AccessTokens { get; } = new(StringComparer.Ordinal);

        /// <summary>The latest acknowledged refresh token and access token (by the answer's arrival).</summary>
        public (string Refresh, string Access, DateTime IssuedAt) Current { get; set; }

        /// <summary>When the first acknowledged revocation (logout, revoke, password change) was answered.</summary>
        public DateTime? RevokedAt { get; set; }

        /// <summary>A call under the load that could have revoked or rotated it got no answer.</summary>
        public bool Ambiguous { get; set; }

        public Guid Id => RefreshTokenFormat.TryParse(Created.IssuedRefresh, out var id, out _) ? id : Guid.Empty;

        public string Name => $"session {Id} of {(Owner ?? "a guest")} issued {Created.End:HH:mm:ss.fff} ({HistoryEntry.Fingerprint(Created.IssuedRefresh)})";

        public bool Touches(HistoryEntry entry) =>
            (entry.PresentedRefresh is { } r && RefreshTokens.Contains(r))
            || (entry.PresentedAccess is { } a && AccessTokens.Contains(a))
            || (entry.IssuedRefresh is { } issued && RefreshTokens.Contains(issued))
            || (Owner is not null && entry.Account == Owner);

        /// <summary>Every recorded call that touched this session or its owner, one per line, tokens as fingerprints.</summary>
        public string Timeline(IEnumerable<HistoryEntry> entries) => string.Concat(entries.Where(Touches).Select(e =>
            TimelineLine(e) + $"{(e.Active is { } active ? (active ? " active" : " inactive") : "")}, presented {HistoryEntry.Fingerprint(e.PresentedRefresh ?? e.PresentedAccess)}"
            + $", issued {HistoryEntry.Fingerprint(e.IssuedRefresh)}"));
    }

    private static List<Session> Sessions(List<HistoryEntry> entries)
    {
        var sessions = new List<Session>();
        var byRefresh = new Dictionary<string, Session>(StringComparer.Ordinal);
        var byAccess = new Dictionary<string, Session>(StringComparer.Ordinal);

        void Issue(Session session, HistoryEntry entry)
        {
            if (entry.IssuedRefresh is { } refresh)
            {
                session.RefreshTokens.Add(refresh);
                byRefresh.TryAdd(refresh, session);
            }

            if (entry.IssuedAccess is { } access)
            {
                session.AccessTokens.Add(access);
                byAccess.TryAdd(access, session);
            }

            // The read-back's own refreshes check the current token; they do not move it.
            if (entry.Phase == Phase.Load && entry.IssuedRefresh is not null && entry.IssuedAccess is not null && entry.End >= session.Current.IssuedAt)
            {
                session.Current = (entry.IssuedRefresh, entry.IssuedAccess, entry.End);
            }
        }

        Session? Of(HistoryEntry entry) =>
            entry.PresentedRefresh is { } r && byRefresh.TryGetValue(r, out var s) ? s
            : entry.PresentedAccess is { } a && byAccess.TryGetValue(a, out s) ? s
            : null;

        // Tokens are handed out before they are presented, so one pass in order of the answers' arrival finds every family.
        foreach (var entry in entries.OrderBy(e => e.End))
        {
            // The read-back's logins make sessions too, but nothing is expected of those.
            if (entry.Phase == Phase.Load && entry.Acknowledged && entry.Operation is Operation.Register or Operation.Login or Operation.Guest or Operation.PasswordChange
                && entry.IssuedRefresh is not null)
            {
                var session = new Session(entry);
                sessions.Add(session);
                Issue(session, entry);
            }
            else if (entry.Operation == Operation.Refresh && Of(entry) is { } refreshed)
            {
                if (entry.Acknowledged)
                {
                    Issue(refreshed, entry);
                }
                else if (entry.Unknown && entry.Phase == Phase.Load)
                {
                    // Unanswered, it may have rotated: its token may be retired, and presenting it later may be reuse.
                    refreshed.Ambiguous = true;
                }
            }
        }

        foreach (var entry in entries)
        {
            var session = Of(entry);
            if (entry.Phase == Phase.ReadBack)
            {
                continue;
            }

            switch (entry.Operation)
            {
                case Operation.Logout or Operation.Revoke when session is not null:
                    if (entry.Acknowledged)
                    {
                        session.RevokedAt = Min(session.RevokedAt, entry.End);
                    }
                    else if (entry.Unknown)
                    {
                        session.Ambiguous = true;
                    }

                    break;
                case Operation.PasswordChange when entry.Account is not null:
                    // Every session of the customer made before the change began is revoked once it is acknowledged.
                    foreach (var earlier in sessions.Where(s => s.Owner == entry.Account && s.Created != entry))
                    {
                        if (entry.Acknowledged && earlier.Created.End < entry.Start)
                        {
                            earlier.RevokedAt = Min(earlier.RevokedAt, entry.End);
                        }
                        else if (entry.Unknown || (entry.Acknowledged && earlier.Created.End >= entry.Start))
                        {
                            earlier.Ambiguous = true;
                        }
                    }

                    break;
            }
        }

        return sessions;
    }

    private static IEnumerable<Violation> TwoSuccessors(List<HistoryEntry> entries) =>
        entries.Where(e => e.Operation == Operation.Refresh && e.Acknowledged && e.PresentedRefresh is not null && e.IssuedRefresh is not null)
            .GroupBy(e => e.PresentedRefresh!, StringComparer.Ordinal)
            .Where(g => g.Select(e => e.IssuedRefresh).Distinct(StringComparer.Ordinal).Count() > 1)
            .Select(g => new Violation(ViolationKind.TwoSuccessors,
                $"refresh token {HistoryEntry.Fingerprint(g.Key)} yielded {g.Select(e => e.IssuedRefresh).Distinct(StringComparer.Ordinal).Count()} successors "
                + $"({string.Join(", ", g.Select(e => $"{e.Api} {e.Start:HH:mm:ss.fff}→{HistoryEntry.Fingerprint(e.IssuedRefresh)}"))})"));

    /// <summary>
    /// A token whose successor was handed out at T is retired: presented again after T + grace it must be refused. The
    /// service rotated it before its answer arrived, so measuring from the answer's arrival errs on the service's side.
    /// </summary>
    private static IEnumerable<Violation> RetiredTokensAccepted(List<HistoryEntry> entries, TimeSpan grace)
    {
        var retiredAt = entries.Where(e => e.Operation == Operation.Refresh && e.Acknowledged && e.PresentedRefresh is not null)
            .GroupBy(e => e.PresentedRefresh!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Min(e => e.End), StringComparer.Ordinal);
        return entries
            .Where(e => e.Operation == Operation.Refresh && e.Acknowledged && e.PresentedRefresh is not null
                && retiredAt.TryGetValue(e.PresentedRefresh, out var retired) && e.Start > retired + grace)
            .Select(e => new Violation(ViolationKind.RetiredTokenAccepted,
                $"refresh token {HistoryEntry.Fingerprint(e.PresentedRefresh)}, retired at {retiredAt[e.PresentedRefresh!]:HH:mm:ss.fff}, "
                + $"accepted by {e.Api} at {e.Start:HH:mm:ss.fff}"));
    }

    private static IEnumerable<Violation> RevocationsHold(List<HistoryEntry> entries, List<Session> sessions)
    {
        foreach (var session in sessions.Where(s => s.RevokedAt is not null))
        {
            var revoked = session.RevokedAt!.Value;
            foreach (var entry in entries.Where(e => e.Start > revoked))
            {
                var presentsIt = (entry.PresentedAccess is { } a && session.AccessTokens.Contains(a))
                    || (entry.PresentedRefresh is { } r && session.RefreshTokens.Contains(r));
                if (!presentsIt)
                {
                    continue;
                }

                if (entry.Operation is Operation.Validate or Operation.Introspect && entry.Active == true)
                {
                    yield return new Violation(ViolationKind.ActiveAfterRevocation,
                        $"{entry.Operation} through {entry.Api} at {entry.Start:HH:mm:ss.fff} answered active for the {session.Name}, revoked at {revoked:HH:mm:ss.fff}",
                        session.Id, session.Timeline(entries));
                }
                else if (entry.Operation == Operation.Refresh && entry.Acknowledged)
                {
                    yield return new Violation(ViolationKind.RevocationUndone,
                        $"refresh through {entry.Api} at {entry.Start:HH:mm:ss.fff} succeeded for the {session.Name}, revoked at {revoked:HH:mm:ss.fff}",
                        session.Id, session.Timeline(entries));
                }
            }

            // The read-back must have seen the revocation hold; a revoked session nobody asked about proves nothing.
            if (!entries.Any(e => e.Phase == Phase.ReadBack && e.Operation == Operation.Validate && e.Active is not null
                    && e.PresentedAccess is { } token && session.AccessTokens.Contains(token)))
            {
                yield return new Violation(ViolationKind.Unverified, $"the revoked {session.Name} was never validated in the read-back");
            }
        }
    }

    /// <summary>A live session that nothing could have ended must still refresh with its last successor and validate.</summary>
    private static IEnumerable<Violation> LiveSessionsWork(List<HistoryEntry> entries, List<Session> sessions)
    {
        foreach (var session in sessions.Where(s => s.RevokedAt is null && !s.Ambiguous))
        {
            var refresh = session.Current.Refresh;
            // Two answers for one presented token (the grace window) hand out one refresh token but two access tokens.
            var accessTokens = entries.Where(e => e.Phase == Phase.Load && e.Acknowledged && e.IssuedRefresh == refresh && e.IssuedAccess is not null)
                .Select(e => e.IssuedAccess!).ToHashSet(StringComparer.Ordinal);
            var refreshes = entries.Where(e => e.Phase == Phase.ReadBack && e.Operation == Operation.Refresh && e.PresentedRefresh == refresh).ToList();
            var validations = entries.Where(e => e.Phase == Phase.ReadBack && e.Operation == Operation.Validate && e.Active is not null
                && e.PresentedAccess is { } access && accessTokens.Contains(access)).ToList();
            if (refreshes.Count == 0 || validations.Count == 0)
            {
                yield return new Violation(ViolationKind.Unverified, $"the live {session.Name} was not read back");
                continue;
            }

            var refused = refreshes.Any(e => e.Status is >= 400 and < 500);
            var invalid = validations.Any(e => e.Active == false);
            if (refused)
            {
                yield return new Violation(ViolationKind.SuccessorRefused,
                    $"the last acknowledged refresh token {HistoryEntry.Fingerprint(refresh)} of the {session.Name} was refused ({refreshes.First(e => !e.Acknowledged).Status})",
                    session.Id, invalid ? "" : session.Timeline(entries));
            }

            if (invalid)
            {
                yield return new Violation(ViolationKind.LiveSessionRefused, $"the latest access token of the live {session.Name} did not validate",
                    session.Id, session.Timeline(entries));
            }
        }
    }

    /// <summary>Every recorded call naming the account, one per line; passwords by their place in the account's history (p0: the registration's).</summary>
    private static string AccountTimeline(List<HistoryEntry> entries, HistoryEntry registration, List<HistoryEntry> changes)
    {
        var passwords = changes.Prepend(registration).Select(c => c.Password).ToList();
        return string.Concat(entries.Where(e => e.Account == registration.Account).Select(e =>
            TimelineLine(e) + (e.Password is null ? "" : $", password p{passwords.IndexOf(e.Password)}")));
    }

    /// <summary>The start of a timeline line: when, what, through which node, and the answer.</summary>
    private static string TimelineLine(HistoryEntry e) => $"\n        {e.Start:HH:mm:ss.fff}-{e.End:HH:mm:ss.fff} {e.Phase} {e.Operation} via {e.Api}: {e.Status}";

    /// <summary>
    /// Every acknowledged registration leaves an account whose password is the last acknowledged one, or one whose
    /// change had no answer; a password replaced by an acknowledged change must no longer work.
    /// </summary>
    private static List<Violation> AccountsHold(List<HistoryEntry> entries, out int accountCount)
    {
        var violations = new List<Violation>();
        var registered = entries.Where(e => e.Operation == Operation.Register && e.Acknowledged && e.Account is not null).ToList();
        accountCount = registered.Count;
        foreach (var registration in registered)
        {
            var email = registration.Account!;
            var changes = entries.Where(e => e.Operation == Operation.PasswordChange && e.Account == email && e.Phase == Phase.Load).ToList();
            var lastAcknowledged = changes.Where(c => c.Acknowledged).Prepend(registration).MaxBy(c => c.End)!;
            var possible = changes.Where(c => c.Unknown && c.End > lastAcknowledged.Start).Select(c => c.Password!)
                .Append(lastAcknowledged.Password!).ToHashSet(StringComparer.Ordinal);
            var replaced = changes.Where(c => c.Acknowledged).Prepend(registration)
                .Where(c => c.End < lastAcknowledged.Start && !possible.Contains(c.Password!))
                .Select(c => c.Password!).ToHashSet(StringComparer.Ordinal);

            // A throttled login (429) says nothing about its password.
            var readBack = entries.Where(e => e.Phase == Phase.ReadBack && e.Operation == Operation.Login && e.Account == email && !e.Unknown && e.Status != 429).ToList();
            if (!readBack.Any(e => e.Acknowledged && possible.Contains(e.Password!)))
            {
                violations.Add(readBack.Any(e => possible.Contains(e.Password!))
                    ? new Violation(ViolationKind.PasswordLost, $"account {email}: its acknowledged password was refused in the read-back", Timeline: AccountTimeline(entries, registration, changes))
                    : new Violation(ViolationKind.Unverified, $"account {email}: no read-back login with its acknowledged password"));
            }

            if (readBack.FirstOrDefault(e => e.Acknowledged && replaced.Contains(e.Password!)) is { } stale)
            {
                violations.Add(new Violation(ViolationKind.PasswordLost, $"account {email}: a password replaced by an acknowledged change still logged in at {stale.Start:HH:mm:ss.fff}",
                    Timeline: AccountTimeline(entries, registration, changes)));
            }

            // Under the load too: a login that began after its password was acknowledged, with no other change of
            // that account under way at any time around it, must not be refused as a wrong password.
            foreach (var login in entries.Where(e => e.Phase == Phase.Load && e.Operation == Operation.Login && e.Account == email && e.Status == 401))
            {
                var current = changes.Where(c => c.Acknowledged && c.End < login.Start).Prepend(registration).MaxBy(c => c.End)!;
                var changing = changes.Any(c => c != current && c.Start < login.End && (c.End > current.Start || c.Unknown));
                if (!changing && current.Password == login.Password)
                {
                    violations.Add(new Violation(ViolationKind.PasswordLost,
                        $"account {email}: login through {login.Api} at {login.Start:HH:mm:ss.fff} refused the password acknowledged at {current.End:HH:mm:ss.fff}"));
                }
            }
        }

        return violations;
    }

    private static DateTime Min(DateTime? a, DateTime b) => a is { } value && value < b ? value : b;
}
