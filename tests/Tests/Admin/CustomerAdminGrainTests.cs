using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Tests.Grains;

namespace AuthCluster.Tests.Admin;

/// <summary>
/// The operator operations behind the customer admin commands on a two-silo cluster: the customer, its email index
/// entry and its sessions are placed across both silos, and each change holds wherever the grains live.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CustomerAdminGrainTests(ClusterFixture fixture)
{
    private const string Password = "violet-staple-orbit-42";
    private const string Actor = "ops@test";
    private static readonly ClientContext Client = new("shop-a", "192.0.2.9", "agent");

    [Fact]
    public async Task RevokeAllSessions_EverySessionOnEitherSilo_StopsAtOnce()
    {
        var (index, grants) = await RegisterWithSessionsAsync(3);
        var customer = fixture.Grains.GetGrain<ICustomerGrain>(grants[0].SubjectId);

        var revoked = await customer.RevokeAllSessions(Actor);

        Assert.Equal(2, fixture.Cluster.Silos.Count);
        Assert.Equal(3, revoked);
        foreach (var grant in grants)
        {
            var session = fixture.Grains.GetGrain<ISessionGrain>(grant.SessionId);
            Assert.False(await session.IsActiveFor(grant.SubjectId, CustomerType.Registered));
            Assert.Null((await session.Refresh(grant.RefreshToken, Client)).Grant);
            var record = await session.Describe();
            Assert.Equal(SessionStatus.Revoked, record!.Status);
            Assert.Equal(RevocationReason.RevokedByOperator, record.RevocationReason);
        }

        Assert.Empty(await customer.GetSessions());
        Assert.Equal(LoginOutcome.Success, (await index.Login(Password, Client)).Outcome);
    }

    [Fact]
    public async Task SetDisabled_LoginFailsAsWrongPasswordAndSessionsEnd_ThenEnableRestoresLogin()
    {
        var (index, grants) = await RegisterWithSessionsAsync(2);
        var customer = fixture.Grains.GetGrain<ICustomerGrain>(grants[0].SubjectId);

        Assert.True(await customer.SetDisabled(true, Actor));
        var disabledLogin = await index.Login(Password, Client);
        var record = await customer.Describe(Actor);
        var sessionsActive = await Task.WhenAll(grants.Select(g => fixture.Grains.GetGrain<ISessionGrain>(g.SessionId).IsActive()));
        Assert.True(await customer.SetDisabled(false, Actor));
        var enabledLogin = await index.Login(Password, Client);

        Assert.Equal(LoginResult.Failed, disabledLogin);
        Assert.NotNull(record!.DisabledAt);
        Assert.All(sessionsActive, Assert.False);
        Assert.Equal(LoginOutcome.Success, enabledLogin.Outcome);
        Assert.Null((await customer.Describe(Actor))!.DisabledAt);
        Assert.False(await fixture.Grains.GetGrain<ICustomerGrain>(Guid.NewGuid()).SetDisabled(true, Actor));
    }

    [Fact]
    public async Task EraseCustomer_RemovesAccountSessionsAndThrottle_AndTheAddressRegistersAgain()
    {
        var (index, grants) = await RegisterWithSessionsAsync(2);
        var customerId = grants[0].SubjectId;
        await index.Login("wrong-password", Client);

        var erased = await index.EraseCustomer(customerId, Actor);
        var again = await index.EraseCustomer(customerId, Actor);

        Assert.True(erased);
        Assert.False(again);
        Assert.Null(await fixture.Grains.GetGrain<ICustomerGrain>(customerId).Describe(Actor));
        foreach (var grant in grants)
        {
            var session = fixture.Grains.GetGrain<ISessionGrain>(grant.SessionId);
            Assert.Null(await session.Describe());
            Assert.False(await session.IsActiveFor(customerId, CustomerType.Registered));
            Assert.Null((await session.Refresh(grant.RefreshToken, Client)).Grant);
        }

        Assert.Equal(new EmailIndexRecord(null, 0, null, null, 0, null), await index.Describe());
        var registered = await index.Register(new Profile("Ada", "Lovelace", "ada@example.com", null), Password, Client);
        Assert.Equal(RegisterOutcome.Registered, registered.Outcome);
        Assert.NotEqual(customerId, registered.Grant!.SubjectId);
    }

    [Fact]
    public async Task EraseCustomer_AddressNowReservedByAnother_KeepsThatReservation()
    {
        var (index, grants) = await RegisterWithSessionsAsync(1);
        var other = fixture.Grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(1, Guid.NewGuid() + "@example.com"));
        var otherCustomer = (await other.Register(new Profile("Bo", "Bell", "bo@example.com", null), Password, Client)).Grant!.SubjectId;

        // Erasing a customer through an index that names someone else erases that customer but leaves the index.
        Assert.True(await other.EraseCustomer(grants[0].SubjectId, Actor));

        Assert.Equal(otherCustomer, (await other.Describe()).CustomerId);
        Assert.NotNull(await fixture.Grains.GetGrain<ICustomerGrain>(otherCustomer).Describe(Actor));
        Assert.Equal(grants[0].SubjectId, (await index.Describe()).CustomerId);
    }

    private async Task<(IEmailIndexGrain Index, List<SessionGrant> Grants)> RegisterWithSessionsAsync(int sessions)
    {
        var index = fixture.Grains.GetGrain<IEmailIndexGrain>(EmailAddress.IndexKey(1, Guid.NewGuid() + "@example.com"));
        var grants = new List<SessionGrant> { (await index.Register(new Profile("Ada", "Lovelace", "ada@example.com", null), Password, Client)).Grant! };
        for (var i = 1; i < sessions; i++)
        {
            grants.Add((await index.Login(Password, Client)).Grant!);
        }

        return (index, grants);
    }
}
