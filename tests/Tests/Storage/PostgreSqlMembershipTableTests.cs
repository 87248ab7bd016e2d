using System.Net;
using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService;

namespace AuthCluster.Tests.Storage;

/// <summary>
/// The unmodified Orleans ADO.NET membership table (silo side) on our PostgreSQL script
/// (ORLEANS-ADONET.md §7 B). Every test uses its own ClusterId, so tests share one database.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public sealed class PostgreSqlMembershipTableTests(PostgreSqlFixture database)
{
    private readonly string _clusterId = $"cluster-{Guid.NewGuid():N}";

    [SkippableFact]
    public async Task InitializeMembershipTableAsync_CalledTwice_CreatesOneVersionRow()
    {
        // Arrange
        var table = CreateTable();

        // Act
        await table.InitializeMembershipTableAsync(true, default);
        await table.InitializeMembershipTableAsync(true, default);
        var data = await table.ReadAllAsync(default);

        // Assert
        Assert.Empty(data.Members);
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM orleans_membership_version WHERE deployment_id = @id"));
    }

    [SkippableFact]
    public async Task InsertRowAsync_StaleVersion_ReturnsFalseAndLeavesTableUnchanged()
    {
        // Arrange
        var table = await InitializedTableAsync();
        var version = (await table.ReadAllAsync(default)).Version;
        var first = Entry(Silo(11111));

        // Act
        var inserted = await table.InsertRowAsync(first, version.Next(), default);
        var staleInsert = await table.InsertRowAsync(Entry(Silo(11112)), version.Next(), default);
        var data = await table.ReadAllAsync(default);

        // Assert
        Assert.True(inserted);
        Assert.False(staleInsert);
        Assert.Single(data.Members);
        Assert.Equal(version.Version + 1, data.Version.Version);
    }

    [SkippableFact]
    public async Task InsertRowAsync_DuplicateSilo_ReturnsFalse()
    {
        // Arrange
        var table = await InitializedTableAsync();
        var entry = Entry(Silo(11111));
        await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version.Next(), default);
        var current = (await table.ReadAllAsync(default)).Version;

        // Act
        var duplicate = await table.InsertRowAsync(entry, current.Next(), default);

        // Assert
        Assert.False(duplicate);
        Assert.Equal(current, (await table.ReadAllAsync(default)).Version);
    }

    [SkippableFact]
    public async Task UpdateRowAsync_CurrentThenStaleVersion_OnlyCurrentSucceeds()
    {
        // Arrange
        var table = await InitializedTableAsync();
        var entry = Entry(Silo(11111));
        await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version.Next(), default);
        var read = await table.ReadRowAsync(entry.SiloAddress, default);
        var (row, etag) = read.Members.Single();
        row.Status = SiloStatus.Active;

        // Act
        var updated = await table.UpdateRowAsync(row, etag, read.Version.Next(), default);
        var stale = await table.UpdateRowAsync(row, etag, read.Version.Next(), default);
        var after = await table.ReadRowAsync(entry.SiloAddress, default);

        // Assert
        Assert.True(updated);
        Assert.False(stale);
        Assert.Equal(SiloStatus.Active, after.Members.Single().Item1.Status);
        Assert.Equal(read.Version.Version + 1, after.Version.Version);
    }

    [SkippableFact]
    public async Task UpdateRowAsync_ConcurrentWithSameVersion_ExactlyOneSucceeds()
    {
        // Arrange
        var table = await InitializedTableAsync();
        var silos = Enumerable.Range(0, 6).Select(i => Silo(12000 + i)).ToList();
        foreach (var silo in silos)
        {
            await table.InsertRowAsync(Entry(silo), (await table.ReadAllAsync(default)).Version.Next(), default);
        }

        var snapshot = await table.ReadAllAsync(default);
        // One table instance per contender, like separate silos.
        var contenders = new List<AdoNetClusteringTable>();
        foreach (var _ in snapshot.Members)
        {
            contenders.Add(await InitializedTableAsync());
        }

        // Act
        var outcomes = await Task.WhenAll(snapshot.Members.Select((member, i) =>
        {
            var (entry, etag) = member;
            entry.Status = SiloStatus.Active;
            return contenders[i].UpdateRowAsync(entry, etag, snapshot.Version.Next(), default);
        }));

        // Assert
        Assert.Single(outcomes, succeeded => succeeded);
        Assert.Equal(snapshot.Version.Version + 1, (await table.ReadAllAsync(default)).Version.Version);
    }

    [SkippableFact]
    public async Task ReadRowAsync_AfterInsertAndUpdate_RoundTripsEveryField()
    {
        // Arrange
        var table = await InitializedTableAsync();
        var silo = SiloAddress.New(IPAddress.Parse("fe80::1:2:3"), 30001, 7);
        var entry = Entry(silo);
        await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version.Next(), default);
        var read = await table.ReadRowAsync(silo, default);
        var (row, etag) = read.Members.Single();
        var suspecter = Silo(11112);
        var voteTime = new DateTime(2026, 10, 30, 9, 50, 43, 341, DateTimeKind.Utc);
        row.SuspectTimes = [Tuple.Create(suspecter, voteTime), Tuple.Create(Silo(11113), voteTime.AddSeconds(1))];
        row.Status = SiloStatus.Active;
        await table.UpdateRowAsync(row, etag, read.Version.Next(), default);

        // Act
        var (stored, _) = (await table.ReadRowAsync(silo, default)).Members.Single();
        var unknown = await table.ReadRowAsync(Silo(19999), default);

        // Assert
        Assert.Equal(silo, stored.SiloAddress);
        Assert.Equal(entry.SiloName, stored.SiloName);
        Assert.Equal(entry.HostName, stored.HostName);
        Assert.Equal(entry.ProxyPort, stored.ProxyPort);
        Assert.Equal(SiloStatus.Active, stored.Status);
        Assert.Equal(Truncate(entry.StartTime), stored.StartTime);
        Assert.Equal(Truncate(entry.IAmAliveTime), stored.IAmAliveTime);
        Assert.Equal(2, stored.SuspectTimes!.Count);
        Assert.Equal(suspecter, stored.SuspectTimes[0].Item1);
        Assert.Equal(voteTime, stored.SuspectTimes[0].Item2);
        Assert.Empty(unknown.Members);
        Assert.Equal(read.Version.Version + 1, unknown.Version.Version);
    }

    [SkippableFact]
    public async Task UpdateIAmAliveAsync_NewHeartbeat_ChangesOnlyIAmAliveTime()
    {
        // Arrange
        var table = await InitializedTableAsync();
        var entry = Entry(Silo(11111));
        await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version.Next(), default);
        var before = await table.ReadRowAsync(entry.SiloAddress, default);
        var heartbeat = before.Members.Single().Item1;
        heartbeat.IAmAliveTime = entry.IAmAliveTime.AddMinutes(5);

        // Act
        await table.UpdateIAmAliveAsync(heartbeat, default);
        var after = await table.ReadRowAsync(entry.SiloAddress, default);

        // Assert
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(Truncate(heartbeat.IAmAliveTime), after.Members.Single().Item1.IAmAliveTime);
        Assert.Equal(before.Members.Single().Item1.Status, after.Members.Single().Item1.Status);
    }

    [SkippableFact]
    public async Task CleanupDefunctSiloEntriesAsync_OldDeadAndOldActive_RemovesOnlyDead()
    {
        // Arrange
        var table = await InitializedTableAsync();
        var longAgo = DateTime.UtcNow.AddDays(-3);
        var dead = Entry(Silo(11111), SiloStatus.Dead, longAgo);
        var active = Entry(Silo(11112), SiloStatus.Active, longAgo);
        var recentDead = Entry(Silo(11113), SiloStatus.Dead, DateTime.UtcNow);
        foreach (var entry in new[] { dead, active, recentDead })
        {
            await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version.Next(), default);
        }

        var version = (await table.ReadAllAsync(default)).Version;

        // Act
        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(-1), default);
        var data = await table.ReadAllAsync(default);

        // Assert
        var remaining = data.Members.Select(m => m.Item1.SiloAddress).ToHashSet();
        Assert.Equal([active.SiloAddress, recentDead.SiloAddress], remaining.OrderBy(s => s.Endpoint.Port));
        Assert.Equal(version, data.Version);
    }

    [SkippableFact]
    public async Task DeleteMembershipTableEntriesAsync_ExistingDeployment_RemovesMembersAndVersion()
    {
        // Arrange
        var table = await InitializedTableAsync();
        await table.InsertRowAsync(Entry(Silo(11111)), (await table.ReadAllAsync(default)).Version.Next(), default);

        // Act
        await table.DeleteMembershipTableEntriesAsync(_clusterId, default);

        // Assert
        Assert.Equal(0L, await ScalarAsync("SELECT COUNT(*) FROM orleans_membership WHERE deployment_id = @id"));
        Assert.Equal(0L, await ScalarAsync("SELECT COUNT(*) FROM orleans_membership_version WHERE deployment_id = @id"));
    }

    // PostgreSQL keeps microseconds; .NET ticks are 100 ns.
    private static DateTime Truncate(DateTime value) => new(value.Ticks - value.Ticks % 10, DateTimeKind.Utc);

    private static SiloAddress Silo(int port) => SiloAddress.New(IPAddress.Loopback, port, 1);

    private static MembershipEntry Entry(SiloAddress silo, SiloStatus status = SiloStatus.Joining, DateTime? time = null)
    {
        var now = time ?? DateTime.UtcNow;
        return new MembershipEntry
        {
            SiloAddress = silo,
            Status = status,
            SiloName = $"silo-{silo.Endpoint.Port}",
            HostName = "host-a",
            ProxyPort = silo.Endpoint.Port + 1000,
            RoleName = "",
            StartTime = now,
            IAmAliveTime = now,
            SuspectTimes = [],
        };
    }

    private AdoNetClusteringTable CreateTable()
    {
        Skip.If(database.ConnectionString is null, PostgreSqlFixture.SkipReason);
        return new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = _clusterId, ServiceId = "membership-tests" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = "Npgsql", ConnectionString = database.ConnectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
    }

    private async Task<AdoNetClusteringTable> InitializedTableAsync()
    {
        var table = CreateTable();
        await table.InitializeMembershipTableAsync(true, default);
        return table;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", _clusterId);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
