using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Tests.Grains;

/// <summary>
/// A creating call repeated with the ids its first attempt carried (as the API repeats one whose answer was lost with
/// a silo) returns the first attempt's outcome and creates nothing more; the same ids with any other request get
/// nothing.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RepeatedOperationTests(ClusterFixture fixture)
{
    private static readonly ClientContext Client = new("shop-a", "192.0.2.1", "agent");
    private static readonly ClientContext OtherClient = new("shop-b", "192.0.2.1", "agent");
    private const string Password = "violet-staple-orbit-42";

    [Fact]
    public async Task SessionStart_RepeatedWithSameParameters_ReturnsSameGrant()
    {
        var session = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid());
        var start = new SessionStart(Guid.NewGuid(), CustomerType.Registered, 1, Client);

        var first = await session.Start(start);
        var repeated = await session.Start(start);

        Assert.Equal(first, repeated);
        Assert.True(RefreshTokenFormat.TryParse(first.RefreshToken, out var routed, out _));
        Assert.Equal(session.GetPrimaryKey(), routed);
        Assert.NotNull(await session.Inspect(first.RefreshToken));
    }

    [Fact]
    public async Task SessionStart_RepeatedForOtherSubjectClientOrShop_Refused()
    {
        var session = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid());
        var start = new SessionStart(Guid.NewGuid(), CustomerType.Registered, 1, Client);
        var first = await session.Start(start);

        await Assert.ThrowsAsync<AlreadyCreatedException>(() => session.Start(start with { SubjectId = Guid.NewGuid() }));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => session.Start(start with { Client = OtherClient }));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => session.Start(start with { ShopId = 2 }));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => session.Start(start with { CustomerType = CustomerType.Guest }));

        // The refusals changed nothing: the first grant still works.
        Assert.NotNull((await session.Refresh(first.RefreshToken, Client)).Grant);
    }

    [Fact]
    public async Task SessionStart_RepeatedAfterRotationOrRevocation_Refused()
    {
        var rotated = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid());
        var rotatedStart = new SessionStart(Guid.NewGuid(), CustomerType.Registered, 1, Client);
        var first = await rotated.Start(rotatedStart);
        var successor = await rotated.Refresh(first.RefreshToken, Client);
        var revoked = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid());
        var revokedStart = new SessionStart(Guid.NewGuid(), CustomerType.Guest, 1, Client);
        await revoked.Start(revokedStart);
        await revoked.Revoke(RevocationReason.Logout);

        await Assert.ThrowsAsync<AlreadyCreatedException>(() => rotated.Start(rotatedStart));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => revoked.Start(revokedStart));

        // The rotated family is untouched by the refused repeat: its successor is current, and nothing revived the other.
        Assert.NotNull(await rotated.Inspect(successor.Grant!.RefreshToken));
        Assert.False(await revoked.IsActive());
    }

    [Fact]
    public async Task GuestCreate_RepeatedWithSameIds_SameGrantAndOneSession()
    {
        var guest = fixture.Grains.GetGrain<IGuestGrain>(Guid.NewGuid());
        var profile = new Profile("Grace", "Hopper", "grace@example.com", null);
        var sessionId = Guid.NewGuid();

        var first = await guest.Create(1, profile, Client, sessionId);
        var repeated = await guest.Create(1, profile, Client, sessionId);

        Assert.Equal(first, repeated);
        Assert.Equal(sessionId, first.SessionId);
        Assert.Equal(guest.GetPrimaryKey(), first.SubjectId);
        Assert.Equal([sessionId], (await guest.GetSessions()).Select(s => s.Id));
    }

    [Fact]
    public async Task GuestCreate_SameGuestIdWithOtherRequest_Refused()
    {
        var guest = fixture.Grains.GetGrain<IGuestGrain>(Guid.NewGuid());
        var profile = new Profile("Grace", "Hopper", "grace@example.com", null);
        var sessionId = Guid.NewGuid();
        await guest.Create(1, profile, Client, sessionId);

        await Assert.ThrowsAsync<AlreadyCreatedException>(() => guest.Create(1, profile, Client, Guid.NewGuid()));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => guest.Create(1, profile with { Email = "mallory@example.com" }, Client, sessionId));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => guest.Create(2, profile, Client, sessionId));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => guest.Create(1, profile, OtherClient, sessionId));

        Assert.Equal([sessionId], (await guest.GetSessions()).Select(s => s.Id));
    }

    [Fact]
    public async Task Register_RepeatedWithSameIds_FirstOutcomeAndOneAccount()
    {
        var (index, profile) = NewAddress();
        var (customerId, sessionId) = (Guid.NewGuid(), Guid.NewGuid());

        var first = await index.Register(profile, Password, Client, customerId, sessionId);
        var repeated = await index.Register(profile, Password, Client, customerId, sessionId);
        var other = await index.Register(profile, Password, Client, Guid.NewGuid(), Guid.NewGuid());

        Assert.Equal(RegisterOutcome.Registered, first.Outcome);
        Assert.Equal(first, repeated);
        Assert.Equal(customerId, first.Grant!.SubjectId);
        Assert.Equal(sessionId, first.Grant.SessionId);
        Assert.Equal(RegisterOutcome.EmailTaken, other.Outcome);
        Assert.Null(other.Grant);
        Assert.Equal(customerId, (await index.Describe()).CustomerId);
        Assert.Equal([sessionId], (await fixture.Grains.GetGrain<ICustomerGrain>(customerId).GetSessions()).Select(s => s.Id));
    }

    [Fact]
    public async Task Register_AccountCreatedButAddressNotYetReserved_RepeatCompletesIt()
    {
        // The first attempt created the customer, then its silo died before the index wrote the reservation.
        var (index, profile) = NewAddress();
        var (customerId, sessionId) = (Guid.NewGuid(), Guid.NewGuid());
        var created = await fixture.Grains.GetGrain<ICustomerGrain>(customerId).Create(1, profile, Password, Client, sessionId);

        var repeated = await index.Register(profile, Password, Client, customerId, sessionId);

        Assert.Equal(RegisterOutcome.Registered, repeated.Outcome);
        Assert.Equal(created, repeated.Grant);
        Assert.Equal(customerId, (await index.Describe()).CustomerId);
        Assert.Equal(LoginOutcome.Success, (await index.Login(Password, Client)).Outcome);
    }

    [Fact]
    public async Task Register_SameIdsWithOtherPasswordProfileOrClient_GetsNoGrant()
    {
        var (index, profile) = NewAddress();
        var (customerId, sessionId) = (Guid.NewGuid(), Guid.NewGuid());
        var first = await index.Register(profile, Password, Client, customerId, sessionId);

        await Assert.ThrowsAsync<AlreadyCreatedException>(() => index.Register(profile, "another-secret-phrase-77", Client, customerId, sessionId));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => index.Register(profile with { FirstName = "Mallory" }, Password, Client, customerId, sessionId));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => index.Register(profile, Password, OtherClient, customerId, sessionId));
        await Assert.ThrowsAsync<AlreadyCreatedException>(() => index.Register(profile, Password, Client, customerId, Guid.NewGuid()));

        Assert.Equal([first.Grant!.SessionId], (await fixture.Grains.GetGrain<ICustomerGrain>(customerId).GetSessions()).Select(s => s.Id));
    }

    [Fact]
    public async Task Login_RepeatedWithSameSessionId_SameGrantAndOneSession()
    {
        var (index, profile) = NewAddress();
        var registered = (await index.Register(profile, Password, Client, Guid.NewGuid(), Guid.NewGuid())).Grant!;
        var sessionId = Guid.NewGuid();

        var first = await index.Login(Password, Client, sessionId);
        var repeated = await index.Login(Password, Client, sessionId);

        Assert.Equal(LoginOutcome.Success, first.Outcome);
        Assert.Equal(first, repeated);
        Assert.Equal(sessionId, first.Grant!.SessionId);
        var sessions = (await fixture.Grains.GetGrain<ICustomerGrain>(registered.SubjectId).GetSessions()).Select(s => s.Id).Order();
        Assert.Equal(new[] { registered.SessionId, sessionId }.Order(), sessions);
    }

    [Fact]
    public async Task Login_SameSessionIdWithWrongPasswordOrOtherClient_GetsNoGrant()
    {
        var (index, profile) = NewAddress();
        await index.Register(profile, Password, Client, Guid.NewGuid(), Guid.NewGuid());
        var sessionId = Guid.NewGuid();
        var first = await index.Login(Password, Client, sessionId);

        await Assert.ThrowsAsync<AlreadyCreatedException>(() => index.Login(Password, OtherClient, sessionId));
        var wrongPassword = await index.Login("another-secret-phrase-77", Client, sessionId);

        Assert.Equal(LoginOutcome.InvalidCredentials, wrongPassword.Outcome);
        Assert.Null(wrongPassword.Grant);
        Assert.NotNull(await fixture.Grains.GetGrain<ISessionGrain>(sessionId).Inspect(first.Grant!.RefreshToken));
    }

    [Fact]
    public async Task Login_FailedAndRepeated_CountedOnce()
    {
        var (index, profile) = NewAddress();
        await index.Register(profile, Password, Client, Guid.NewGuid(), Guid.NewGuid());
        var sessionId = Guid.NewGuid();

        var first = await index.Login("wrong-password", Client, sessionId);
        var repeated = await index.Login("wrong-password", Client, sessionId);

        Assert.Equal(LoginOutcome.InvalidCredentials, first.Outcome);
        Assert.Equal(LoginOutcome.InvalidCredentials, repeated.Outcome);
        Assert.Equal(1, (await index.Describe()).FailedLogins);
        Assert.Null(await fixture.Grains.GetGrain<ISessionGrain>(sessionId).Describe());
    }

    private (IEmailIndexGrain Index, Profile Profile) NewAddress()
    {
        var email = Guid.NewGuid().ToString("N") + "@example.com";
        return (fixture.Grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(1, email)), new Profile("Ada", "Lovelace", email, null));
    }
}
