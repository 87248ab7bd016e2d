namespace AuthCluster.Tests.Faults;

/// <summary>Hand-made histories: the checker must pass a sound one and name each kind of broken promise.</summary>
public sealed class HistoryCheckerTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private static readonly DateTime T0 = new(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Check_SoundHistory_Holds()
    {
        var history = new Script()
            .Register("ada@x", "pw1", "r0", "a0", at: 0)
            .Refresh("r0", "r1", "a1", at: 1)
            .Refresh("r0", "r1", "a1b", at: 2) // retired, within the grace window: the same successor
            .Validate("a1", active: true, at: 3)
            .ReadBackLogin("ada@x", "pw1", 200, at: 30, refresh: "r-rb", access: "a-rb") // a session nothing is expected of
            .ReadBackRefresh("r1", "r2", "a2", at: 30)
            .ReadBackValidate("a1b", active: true, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.True(result.Holds, string.Join("\n", result.Violations));
        Assert.Equal((1, 1), (result.Accounts, result.Sessions));
    }

    [Fact]
    public void Check_OneTokenTwoSuccessors_Violation()
    {
        var history = new Script()
            .Guest("r0", "a0", at: 0)
            .Refresh("r0", "r1", "a1", at: 1, api: "api1")
            .Refresh("r0", "r1-other", "a1b", at: 1, api: "api2")
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.Contains(result.Violations, v => v.Kind == ViolationKind.TwoSuccessors);
    }

    [Fact]
    public void Check_ValidateStartedAfterAcknowledgedLogoutAnsweredActive_Violation()
    {
        var history = new Script()
            .Guest("r0", "a0", at: 0)
            .Validate("a0", active: true, at: 5, took: 2) // started before the logout's answer: either answer is right
            .Logout("a0", 204, at: 4, took: 2)
            .Validate("a0", active: true, at: 7) // started after it
            .ReadBackValidate("a0", active: false, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(ViolationKind.ActiveAfterRevocation, violation.Kind);
    }

    [Fact]
    public void Check_RefreshAfterAcknowledgedRevocation_RevocationUndone()
    {
        var history = new Script()
            .Guest("r0", "a0", at: 0)
            .Revoke("r0", 200, at: 1)
            .ReadBackRefresh("r0", "r1", "a1", at: 30)
            .ReadBackValidate("a0", active: false, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.Contains(result.Violations, v => v.Kind == ViolationKind.RevocationUndone);
    }

    [Fact]
    public void Check_RetiredTokenAcceptedAfterGrace_Violation()
    {
        var history = new Script()
            .Guest("r0", "a0", at: 0)
            .Refresh("r0", "r1", "a1", at: 1)
            .ReadBackRefresh("r1", "r2", "a2", at: 30)
            .ReadBackValidate("a1", active: true, at: 30)
            .ReadBackRefresh("r0", "r1", "a3", at: 31) // 30 s after its rotation: must have been refused
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(ViolationKind.RetiredTokenAccepted, violation.Kind);
    }

    [Fact]
    public void Check_AcknowledgedSuccessorRefused_Violation()
    {
        var history = new Script()
            .Guest("r0", "a0", at: 0)
            .Refresh("r0", "r1", "a1", at: 1)
            .ReadBackRefresh("r1", status: 400, at: 30)
            .ReadBackValidate("a1", active: true, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.Equal(ViolationKind.SuccessorRefused, Assert.Single(result.Violations).Kind);
    }

    [Fact]
    public void Check_UnansweredRefreshThenOldTokenRefused_AmbiguousNotViolation()
    {
        var history = new Script()
            .Guest("r0", "a0", at: 0)
            .Refresh("r0", status: 503, at: 1) // may have rotated: r0 may be retired now
            .ReadBackRefresh("r0", status: 400, at: 30)
            .ReadBackValidate("a0", active: false, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.True(result.Holds, string.Join("\n", result.Violations));
        Assert.Equal(1, result.AmbiguousSessions);
    }

    [Fact]
    public void Check_AcknowledgedPasswordChangeLost_Violation()
    {
        var history = new Script()
            .Register("ada@x", "pw1", "r0", "a0", at: 0)
            .PasswordChange("ada@x", "pw2", 200, "r9", "a9", at: 2)
            .ReadBackLogin("ada@x", "pw2", 401, at: 30)
            .ReadBackLogin("ada@x", "pw1", 200, at: 31)
            .ReadBackValidate("a0", active: false, at: 30)
            .ReadBackRefresh("r9", "r10", "a10", at: 30)
            .ReadBackValidate("a9", active: true, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.Equal(2, result.Violations.Count(v => v.Kind == ViolationKind.PasswordLost));
    }

    [Fact]
    public void Check_UnansweredPasswordChange_EitherPasswordHolds()
    {
        var history = new Script()
            .Register("ada@x", "pw1", "r0", "a0", at: 0)
            .PasswordChange("ada@x", "pw2", 0, null, null, at: 2)
            .ReadBackLogin("ada@x", "pw2", 200, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        // The registration's session may have been revoked by the change: it is ambiguous, not read back.
        Assert.True(result.Holds, string.Join("\n", result.Violations));
    }

    [Fact]
    public void Check_LoginRefusedAfterAcknowledgedRegistration_Violation()
    {
        var history = new Script()
            .Register("ada@x", "pw1", "r0", "a0", at: 0)
            .Login("ada@x", "pw1", 401, at: 3)
            .ReadBackLogin("ada@x", "pw1", 200, at: 30)
            .ReadBackRefresh("r0", "r1", "a1", at: 30)
            .ReadBackValidate("a0", active: true, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.Equal(ViolationKind.PasswordLost, Assert.Single(result.Violations).Kind);
    }

    [Fact]
    public void Check_ReadBackLoginOnlyThrottled_UnverifiedNotLost()
    {
        // Failed logins under the load (a change took effect unanswered) can throttle the read-back's right password.
        var history = new Script()
            .Register("ada@x", "pw1", "r0", "a0", at: 0)
            .Logout("a0", 204, at: 1)
            .ReadBackLogin("ada@x", "pw1", 429, at: 30)
            .ReadBackValidate("a0", active: false, at: 30)
            .Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.Equal(ViolationKind.Unverified, Assert.Single(result.Violations).Kind);
    }

    [Fact]
    public void Check_LiveSessionNeverReadBack_Unverified()
    {
        var history = new Script().Guest("r0", "a0", at: 0).Entries;

        var result = HistoryChecker.Check(history, Grace);

        Assert.Equal(ViolationKind.Unverified, Assert.Single(result.Violations).Kind);
    }

    /// <summary>Builds a history with times in seconds after <see cref="T0"/>; calls take 100 ms unless told.</summary>
    private sealed class Script
    {
        public List<HistoryEntry> Entries { get; } = [];

        public Script Register(string email, string password, string refresh, string access, double at) =>
            Add(Operation.Register, Phase.Load, 201, at, e => e with { Account = email, Password = password, IssuedRefresh = refresh, IssuedAccess = access });

        public Script Login(string email, string password, int status, double at) =>
            Add(Operation.Login, Phase.Load, status, at, e => e with { Account = email, Password = password });

        public Script Guest(string refresh, string access, double at) =>
            Add(Operation.Guest, Phase.Load, 201, at, e => e with { IssuedRefresh = refresh, IssuedAccess = access });

        public Script Refresh(string presented, string? successor = null, string? access = null, double at = 0, int status = 200, string api = "api1") =>
            Add(Operation.Refresh, Phase.Load, successor is null ? status : 200, at, e => e with { PresentedRefresh = presented, IssuedRefresh = successor, IssuedAccess = access }, api: api);

        public Script Refresh(string presented, int status, double at) => Refresh(presented, null, null, at, status);

        public Script Validate(string access, bool active, double at, double took = 0.1) =>
            Add(Operation.Validate, Phase.Load, active ? 200 : 401, at, e => e with { PresentedAccess = access, Active = active }, took);

        public Script Logout(string access, int status, double at, double took = 0.1) =>
            Add(Operation.Logout, Phase.Load, status, at, e => e with { PresentedAccess = access }, took);

        public Script Revoke(string refresh, int status, double at) =>
            Add(Operation.Revoke, Phase.Load, status, at, e => e with { PresentedRefresh = refresh });

        public Script PasswordChange(string email, string password, int status, string? refresh, string? access, double at) =>
            Add(Operation.PasswordChange, Phase.Load, status, at, e => e with { Account = email, Password = password, IssuedRefresh = refresh, IssuedAccess = access });

        public Script ReadBackLogin(string email, string password, int status, double at, string? refresh = null, string? access = null) =>
            Add(Operation.Login, Phase.ReadBack, status, at, e => e with { Account = email, Password = password, IssuedRefresh = refresh, IssuedAccess = access });

        public Script ReadBackRefresh(string presented, string? successor = null, string? access = null, double at = 0, int status = 200) =>
            Add(Operation.Refresh, Phase.ReadBack, successor is null ? status : 200, at, e => e with { PresentedRefresh = presented, IssuedRefresh = successor, IssuedAccess = access });

        public Script ReadBackRefresh(string presented, int status, double at) => ReadBackRefresh(presented, null, null, at, status);

        public Script ReadBackValidate(string access, bool active, double at) =>
            Add(Operation.Validate, Phase.ReadBack, active ? 200 : 401, at, e => e with { PresentedAccess = access, Active = active });

        private Script Add(Operation operation, Phase phase, int status, double at, Func<HistoryEntry, HistoryEntry> with, double took = 0.1, string api = "api1")
        {
            Entries.Add(with(new HistoryEntry(operation, phase, api, T0.AddSeconds(at), T0.AddSeconds(at + took), status)));
            return this;
        }
    }
}
