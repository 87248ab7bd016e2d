using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using Orleans.Core.Internal;

namespace AuthCluster.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class SessionGrainTests(ClusterFixture fixture)
{
    private static readonly ClientContext Client = new("shop-a", "192.0.2.1", "agent");

    [Fact]
    public async Task Refresh_CurrentToken_RotatesOnce()
    {
        var (session, first) = await StartAsync();

        var second = await session.Refresh(first.RefreshToken, Client);
        var third = await session.Refresh(second.Grant!.RefreshToken, Client);

        Assert.NotNull(third.Grant);
        Assert.NotEqual(first.RefreshToken, second.Grant.RefreshToken);
        Assert.NotEqual(second.Grant.RefreshToken, third.Grant.RefreshToken);
        Assert.Equal(first.ExpiresAt, third.Grant.ExpiresAt);
    }

    [Fact]
    public async Task Refresh_PreviousTokenInsideGrace_ReturnsSameSuccessorWithoutRevoking()
    {
        var (session, first) = await StartAsync();
        var second = await session.Refresh(first.RefreshToken, Client);

        fixture.Time.Advance(TimeSpan.FromSeconds(9));
        var again = await session.Refresh(first.RefreshToken, Client);

        Assert.Equal(second.Grant!.RefreshToken, again.Grant!.RefreshToken);
        Assert.True(await session.IsActive());
    }

    [Fact]
    public async Task Refresh_PreviousTokenAfterGrace_RevokesFamily()
    {
        var (session, first) = await StartAsync();
        var second = await session.Refresh(first.RefreshToken, Client);

        fixture.Time.Advance(TimeSpan.FromSeconds(11));
        var reuse = await session.Refresh(first.RefreshToken, Client);
        var successor = await session.Refresh(second.Grant!.RefreshToken, Client);

        Assert.Null(reuse.Grant);
        Assert.Null(successor.Grant);
        Assert.False(await session.IsActive());
        Assert.Null(await session.GetInfo());
    }

    [Fact]
    public async Task Refresh_TokenTwoGenerationsOldInsideItsGrace_ReturnsItsSuccessorWithoutRevoking()
    {
        // An attempt abandoned by the API (another answered first) may arrive after the shop refreshed again.
        var (session, first) = await StartAsync();
        var second = await session.Refresh(first.RefreshToken, Client);
        fixture.Time.Advance(TimeSpan.FromSeconds(4));
        var third = await session.Refresh(second.Grant!.RefreshToken, Client);

        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        var late = await session.Refresh(first.RefreshToken, Client);
        var next = await session.Refresh(third.Grant!.RefreshToken, Client);

        Assert.Equal(second.Grant.RefreshToken, late.Grant!.RefreshToken);
        Assert.NotNull(next.Grant);
        Assert.True(await session.IsActive());
    }

    [Fact]
    public async Task Refresh_TokenTwoGenerationsOldAfterItsGrace_IsReuseThoughTheLatestRotationIsRecent()
    {
        var (session, first) = await StartAsync();
        var second = await session.Refresh(first.RefreshToken, Client);
        fixture.Time.Advance(TimeSpan.FromSeconds(9));
        await session.Refresh(second.Grant!.RefreshToken, Client);

        fixture.Time.Advance(TimeSpan.FromSeconds(2));
        var reuse = await session.Refresh(first.RefreshToken, Client);

        Assert.Null(reuse.Grant);
        Assert.False(await session.IsActive());
    }

    [Fact]
    public async Task Refresh_TokenRetiredBeyondTheKeptRotations_IsReuseEvenInsideGrace()
    {
        var (session, first) = await StartAsync();
        var token = first.RefreshToken;
        for (var i = 0; i < 10; i++)
        {
            token = (await session.Refresh(token, Client)).Grant!.RefreshToken;
        }

        var reuse = await session.Refresh(first.RefreshToken, Client);

        Assert.Null(reuse.Grant);
        Assert.False(await session.IsActive());
    }

    [Fact]
    public async Task Refresh_EarlierRetiredTokenAfterReactivation_StillInsideItsGrace()
    {
        // The retired tokens are part of the stored state, so a repeat that reaches a new activation (its silo died) is the same refresh.
        var (session, first) = await StartAsync();
        var second = await session.Refresh(first.RefreshToken, Client);
        await session.Refresh(second.Grant!.RefreshToken, Client);
        await session.Cast<IGrainManagementExtension>().DeactivateOnIdle();

        var late = await session.Refresh(first.RefreshToken, Client);

        Assert.Equal(second.Grant.RefreshToken, late.Grant!.RefreshToken);
        Assert.True(await session.IsActive());
    }

    [Fact]
    public async Task Refresh_RevokedSessionInsideGrace_IsInvalid()
    {
        var (session, first) = await StartAsync();
        await session.Refresh(first.RefreshToken, Client);
        await session.Revoke(RevocationReason.Logout);

        var retry = await session.Refresh(first.RefreshToken, Client);

        Assert.Null(retry.Grant);
    }

    [Fact]
    public async Task Session_PastAbsoluteLifetime_IsInactiveAndCannotRefresh()
    {
        var (session, first) = await StartAsync();

        fixture.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var refresh = await session.Refresh(first.RefreshToken, Client);

        Assert.Null(refresh.Grant);
        Assert.False(await session.IsActive());
        Assert.Null(await session.Inspect(first.RefreshToken));
    }

    [Fact]
    public async Task Inspect_CurrentToken_DescribesSessionAndRetiredTokenDoesNot()
    {
        var (session, first) = await StartAsync();
        var info = await session.Inspect(first.RefreshToken);
        await session.Refresh(first.RefreshToken, Client);

        Assert.NotNull(info);
        Assert.Equal(first.SessionId, info.SessionId);
        Assert.Equal("shop-a", info.ClientId);
        Assert.Null(await session.Inspect(first.RefreshToken));
    }

    private async Task<(ISessionGrain Session, SessionGrant Grant)> StartAsync()
    {
        var session = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid());
        var grant = await session.Start(new SessionStart(Guid.NewGuid(), CustomerType.Registered, 1, Client));
        Assert.True(RefreshTokenFormat.TryParse(grant.RefreshToken, out var routed, out _));
        Assert.Equal(session.GetPrimaryKey(), routed);
        return (session, grant);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class AccountGrainTests(ClusterFixture fixture)
{
    private static readonly ClientContext Client = new("shop-a", null, null);
    private static readonly Profile Profile = new("Ada", "Lovelace", "ada@example.com", null);
    private const string Password = "violet-staple-orbit-42";

    [Fact]
    public async Task Register_Twice_SecondIsEmailTaken()
    {
        var index = fixture.Grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(1, Guid.NewGuid() + "@example.com"));

        var first = await index.Register(Profile, Password, Client);
        var second = await index.Register(Profile, Password, Client);

        Assert.Equal(RegisterOutcome.Registered, first.Outcome);
        Assert.Equal(RegisterOutcome.EmailTaken, second.Outcome);
        Assert.Null(second.Grant);
    }

    [Fact]
    public async Task Login_ThrottledAfterFreeFailures_ThenAllowedAfterDelay()
    {
        var index = fixture.Grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(1, Guid.NewGuid() + "@example.com"));
        await index.Register(Profile, Password, Client);

        // FreeFailures = 2: two failures are free, the attempt after them is throttled.
        var failures = new[] { await index.Login("wrong-password", Client), await index.Login("wrong-password", Client) };
        var throttled = await index.Login(Password, Client);
        fixture.Time.Advance(throttled.RetryAfter);
        var allowed = await index.Login(Password, Client);

        Assert.All(failures, f => Assert.Equal(LoginOutcome.InvalidCredentials, f.Outcome));
        Assert.Equal(LoginOutcome.Throttled, throttled.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(5), throttled.RetryAfter);
        Assert.Equal(LoginOutcome.Success, allowed.Outcome);
    }

    [Fact]
    public async Task StartSession_BeyondMaximum_RevokesOldest()
    {
        var index = fixture.Grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(1, Guid.NewGuid() + "@example.com"));
        var grants = new List<SessionGrant> { (await index.Register(Profile, Password, Client)).Grant! };
        for (var i = 0; i < 3; i++)
        {
            grants.Add((await index.Login(Password, Client)).Grant!);
        }

        var sessions = await fixture.Grains.GetGrain<ICustomerGrain>(grants[0].SubjectId).GetSessions();

        Assert.Equal(3, sessions.Count);
        Assert.DoesNotContain(sessions, s => s.Id == grants[0].SessionId);
        Assert.False(await fixture.Grains.GetGrain<ISessionGrain>(grants[0].SessionId).IsActive());
    }

    [Fact]
    public async Task SigningKeyRing_StoresPrivateKeysEncryptedUnderTheKek()
    {
        var ring = await fixture.Grains.GetGrain<ISigningKeyGrain>("https://issuer.test").GetKeyRing();

        var key = Assert.Single(ring);
        var kek = KeyEncryption.FromBase64(Infrastructure.AuthApiFactory.TestKek);
        var pkcs8 = kek.Decrypt(key.EncryptedPrivateKey, key.KeyId);
        using var ec = System.Security.Cryptography.ECDsa.Create();
        ec.ImportPkcs8PrivateKey(pkcs8, out _);
        Assert.Equal("ES256", key.Algorithm);
        Assert.Throws<System.Security.Cryptography.AuthenticationTagMismatchException>(() => kek.Decrypt(key.EncryptedPrivateKey, "another-kid"));
    }
}
