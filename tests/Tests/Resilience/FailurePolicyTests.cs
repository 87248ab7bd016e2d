using System.Data.Common;
using System.Reflection;
using AuthCluster.Api.Hosting;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Networking.Shared;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;
using static AuthCluster.Tests.Resilience.Failures;

namespace AuthCluster.Tests.Resilience;

internal static class Failures
{
    /// <summary>What Orleans throws when it rejects a call on the way; its constructors are not public.</summary>
    public static OrleansMessageRejectionException Rejection(string message) =>
        (OrleansMessageRejectionException)Activator.CreateInstance(
            typeof(OrleansMessageRejectionException), BindingFlags.NonPublic | BindingFlags.Instance, null, [message], null)!;
}

public sealed class FailurePolicyClassificationTests
{
    public static TheoryData<Exception> TransientFailures => new()
    {
        Rejection("activation gone"),
        new SiloUnavailableException(),
        new ConnectionFailedException("gateway refused"),
        new SocketConnectionException("connection reset"),
        new InconsistentStateException("etag mismatch"),
        new TimeoutException("no response"),
    };

    public static TheoryData<Exception> UnavailableFailures => new()
    {
        new StorageUnavailableException(),
        new AlreadyCreatedException(),
        new TestDbException(),
        new InvalidOperationException("wrapped", new TestDbException()),
        new OrleansException("activation failed"),
        new OperationCanceledException(),
        new TaskCanceledException(),
        new ArgumentException("no grain manifest") { Source = "Orleans.Core" },
    };

    public static TheoryData<Exception> Bugs => new()
    {
        new InvalidOperationException("A session id is never reused."),
        new ArgumentException("bad argument") { Source = "AuthCluster.Api" },
        new ArgumentException("never thrown, no source"),
        new KeyNotFoundException(),
        new FormatException(),
    };

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public void Classify_ClusterFailure_IsTransient(Exception failure) =>
        Assert.Equal(FailureKind.Transient, FailurePolicy.Classify(failure));

    [Theory]
    [MemberData(nameof(UnavailableFailures))]
    public void Classify_StorageOrRuntimeFailure_IsUnavailable(Exception failure) =>
        Assert.Equal(FailureKind.Unavailable, FailurePolicy.Classify(failure));

    [Theory]
    [MemberData(nameof(Bugs))]
    public void Classify_AnythingElse_IsBug(Exception failure) =>
        Assert.Equal(FailureKind.Bug, FailurePolicy.Classify(failure));

    [Fact]
    public void IsUndelivered_OnlyRejectionsThatAreNotSiloDeaths()
    {
        Assert.True(FailurePolicy.IsUndelivered(Rejection("silo stopping")));
        Assert.False(FailurePolicy.IsUndelivered(new SiloUnavailableException())); // may have been running on the dead silo
        Assert.False(FailurePolicy.IsUndelivered(new TimeoutException()));
        Assert.False(FailurePolicy.IsUndelivered(new InconsistentStateException("etag mismatch")));
    }

    [Fact]
    public void IsDatabaseFailure_DriverExceptionAnywhereInChain_ButNotEtagConflict()
    {
        Assert.True(FailurePolicy.IsDatabaseFailure(new TestDbException()));
        Assert.True(FailurePolicy.IsDatabaseFailure(new OrleansException("read failed", new InvalidOperationException("x", new TestDbException()))));
        Assert.False(FailurePolicy.IsDatabaseFailure(new InconsistentStateException("etag mismatch", new TestDbException())));
        Assert.False(FailurePolicy.IsDatabaseFailure(new StorageUnavailableException()));
        Assert.False(FailurePolicy.IsDatabaseFailure(new InvalidOperationException()));
    }

    private sealed class TestDbException() : DbException("connection refused");
}

public sealed class FailurePolicyRetryTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    [Fact]
    public void RetryDelay_RepeatableCallAfterTransientFailure_RetriesQuicklyThenFourTimesASecond()
    {
        var delays = Enumerable.Range(0, 8)
            .Select(attempt => FailurePolicy.RetryDelay(new SiloUnavailableException(), RetrySafety.Repeatable, attempt, TimeSpan.Zero, Grace))
            .ToList();

        Assert.All(delays, delay => Assert.NotNull(delay));
        Assert.Equal(TimeSpan.FromMilliseconds(50), delays[0]);
        Assert.Equal(delays.Order(), delays);
        Assert.Equal(TimeSpan.FromMilliseconds(250), delays[^1]);
    }

    [Theory]
    [MemberData(nameof(FailurePolicyClassificationTests.UnavailableFailures), MemberType = typeof(FailurePolicyClassificationTests))]
    [MemberData(nameof(FailurePolicyClassificationTests.Bugs), MemberType = typeof(FailurePolicyClassificationTests))]
    public void RetryDelay_FailureThatIsNotTransient_NeverRetried(Exception failure) =>
        Assert.Null(FailurePolicy.RetryDelay(failure, RetrySafety.Repeatable, 0, TimeSpan.Zero, Grace));

    [Fact]
    public void RetryDelay_CallThatMustNotRunTwice_RetriedOnlyWhenProvablyUndelivered()
    {
        Assert.NotNull(FailurePolicy.RetryDelay(Rejection("silo stopping"), RetrySafety.OnlyIfUndelivered, 0, TimeSpan.Zero, Grace));
        Assert.Null(FailurePolicy.RetryDelay(new SiloUnavailableException(), RetrySafety.OnlyIfUndelivered, 0, TimeSpan.Zero, Grace));
        Assert.Null(FailurePolicy.RetryDelay(new TimeoutException(), RetrySafety.OnlyIfUndelivered, 0, TimeSpan.Zero, Grace));
        Assert.Null(FailurePolicy.RetryDelay(new InconsistentStateException("etag mismatch"), RetrySafety.OnlyIfUndelivered, 0, TimeSpan.Zero, Grace));
    }

    [Theory]
    [InlineData(RetrySafety.Repeatable)]
    [InlineData(RetrySafety.OnlyIfUndelivered)]
    public void RetryDelay_StopsAtTheRetryWindow(RetrySafety safety)
    {
        var failure = Rejection("silo stopping");
        var window = FailurePolicy.RetryWindow;

        Assert.Equal(TimeSpan.FromSeconds(5), window);
        Assert.NotNull(FailurePolicy.RetryDelay(failure, safety, 10, window - TimeSpan.FromMilliseconds(250), Grace));
        Assert.Null(FailurePolicy.RetryDelay(failure, safety, 10, window - TimeSpan.FromMilliseconds(249), Grace));
    }

    [Fact]
    public void RetryWindowFor_DoesNotDependOnTheRefreshGrace_ExceptForRefresh()
    {
        Assert.Equal(FailurePolicy.RetryWindow, FailurePolicy.RetryWindowFor(RetrySafety.Repeatable, TimeSpan.Zero));
        Assert.Equal(FailurePolicy.RetryWindow, FailurePolicy.RetryWindowFor(RetrySafety.OnlyIfUndelivered, TimeSpan.Zero));
        Assert.Equal(FailurePolicy.RetryWindow, FailurePolicy.RetryWindowFor(RetrySafety.WithinRefreshGrace, TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.FromSeconds(2), FailurePolicy.RetryWindowFor(RetrySafety.WithinRefreshGrace, TimeSpan.FromSeconds(6)));
        Assert.Equal(TimeSpan.Zero, FailurePolicy.RetryWindowFor(RetrySafety.WithinRefreshGrace, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void RetryDelay_Refresh_StopsSoThatNoAttemptOutlivesTheReuseGraceWindow()
    {
        // The last repeat may run until its 3 s response timeout, and must still find its token inside the window.
        var failure = new SiloUnavailableException();
        var grace = TimeSpan.FromSeconds(6);

        Assert.NotNull(FailurePolicy.RetryDelay(failure, RetrySafety.WithinRefreshGrace, 0, TimeSpan.FromMilliseconds(1900), grace));
        Assert.Null(FailurePolicy.RetryDelay(failure, RetrySafety.WithinRefreshGrace, 0, TimeSpan.FromMilliseconds(1960), grace));
        Assert.Null(FailurePolicy.RetryDelay(failure, RetrySafety.WithinRefreshGrace, 0, TimeSpan.Zero, TimeSpan.FromSeconds(4))); // too short to repeat safely
        Assert.Null(FailurePolicy.RetryDelay(failure, RetrySafety.WithinRefreshGrace, 0, TimeSpan.Zero, TimeSpan.Zero)); // grace disabled: a repeat is reuse
    }

    [Fact]
    public void Refresh_TimesOutAfterTheTimeoutTheGraceMarginIsMadeOf()
    {
        var refresh = typeof(ISessionGrain).GetMethod(nameof(ISessionGrain.Refresh))!;

        Assert.Equal(RetrySafety.WithinRefreshGrace, FailurePolicy.RetrySafetyOf(refresh));
        Assert.Contains(refresh.GetCustomAttributesData(), a => a.AttributeType.Name == "ResponseTimeoutAttribute"
            && (string?)a.ConstructorArguments[0].Value == FailurePolicy.OneWriteTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), FailurePolicy.RefreshGraceMargin);
    }

    [Fact]
    public async Task ConnectionRetry_FailureThatWaitingCannotFix_GivesUpAtOnce()
    {
        var filter = new ClusterConnectionRetryFilter(NullLogger<ClusterConnectionRetryFilter>.Instance);

        var retry = await filter.ShouldRetryConnectionAttempt(new ArgumentException("malformed connection string"), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(1));

        Assert.False(retry);
    }
}

/// <summary>
/// Pins which grain methods the API may send again, so that marking or unmarking one is a deliberate, reviewed
/// change, and checks that the per-method response timeouts fit the retry window.
/// </summary>
public sealed class RetrySafeMethodTests
{
    private static readonly Dictionary<string, RetrySafety> RetrySafeMethods = new()
    {
        ["ISessionOwnerGrain.GetSessions"] = RetrySafety.Repeatable,
        ["ISessionOwnerGrain.Logout"] = RetrySafety.Repeatable,
        ["IGuestGrain.Create"] = RetrySafety.Repeatable,
        ["IEmailIndexGrain.Register"] = RetrySafety.Repeatable,
        ["IEmailIndexGrain.Login"] = RetrySafety.Repeatable,
        ["ISessionGrain.Refresh"] = RetrySafety.WithinRefreshGrace,
        ["ISessionGrain.IsActive"] = RetrySafety.Repeatable,
        ["ISessionGrain.IsActiveFor"] = RetrySafety.Repeatable,
        ["ICustomerGrain.CheckNewPassword"] = RetrySafety.Repeatable,
        ["ISessionGrain.GetInfo"] = RetrySafety.Repeatable,
        ["ISessionGrain.Inspect"] = RetrySafety.Repeatable,
        ["ISessionGrain.Revoke"] = RetrySafety.Repeatable,
        ["ISigningKeyGrain.GetKeyRing"] = RetrySafety.Repeatable,
        ["ISigningKeyGrain.Subscribe"] = RetrySafety.Repeatable,
        ["IHealthGrain.CheckStorage"] = RetrySafety.Repeatable,

        // Reads for the admin commands ([ReadOnly]).
        ["ICustomerGrain.Describe"] = RetrySafety.Repeatable,
        ["IEmailIndexGrain.Describe"] = RetrySafety.Repeatable,
        ["ISessionGrain.Describe"] = RetrySafety.Repeatable,
    };

    [Fact]
    public void RetrySafetyOf_GrainInterfaces_OnlyTheListedMethodsAreRetrySafe()
    {
        var actual = GrainMethods()
            .Select(method => (Name: $"{method.DeclaringType!.Name}.{method.Name}", Safety: FailurePolicy.RetrySafetyOf(method)))
            .Where(method => method.Safety != RetrySafety.OnlyIfUndelivered)
            .ToDictionary(method => method.Name, method => method.Safety);

        Assert.Equal(RetrySafeMethods.OrderBy(m => m.Key), actual.OrderBy(m => m.Key));
    }

    [Fact]
    public void ResponseTimeouts_AreOnRetrySafeMethods_AndLeaveTimeToRetry()
    {
        var timeouts = GrainMethods()
            .Select(method => (Method: method, Timeout: ResponseTimeout(method)))
            .Where(method => method.Timeout is not null)
            .ToList();
        var policyTimeouts = new[] { TimeSpan.Parse(FailurePolicy.QuickReadTimeout), TimeSpan.Parse(FailurePolicy.OneWriteTimeout) };

        Assert.NotEmpty(timeouts);
        Assert.All(timeouts, method =>
        {
            Assert.NotEqual(RetrySafety.OnlyIfUndelivered, FailurePolicy.RetrySafetyOf(method.Method));
            Assert.Contains(method.Timeout!.Value, policyTimeouts);
        });
        Assert.All(policyTimeouts, timeout => Assert.True(timeout + TimeSpan.FromSeconds(1) < FailurePolicy.RetryWindow));
        Assert.True(FailurePolicy.RetryWindow <= FailurePolicy.ClientResponseTimeout);
    }

    private static IEnumerable<MethodInfo> GrainMethods() => typeof(ISessionGrain).Assembly.GetTypes()
        .Where(type => type.IsInterface && typeof(IAddressable).IsAssignableFrom(type))
        .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly));

    // Read from the attribute's constructor argument: the same text Orleans parses.
    private static TimeSpan? ResponseTimeout(MethodInfo method) => method.GetCustomAttributesData()
        .Where(attribute => attribute.AttributeType == typeof(ResponseTimeoutAttribute))
        .Select(attribute => (TimeSpan?)TimeSpan.Parse((string)attribute.ConstructorArguments[0].Value!))
        .SingleOrDefault();
}
