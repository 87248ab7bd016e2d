using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace AuthCluster.Tests.Storage;

/// <summary>
/// The unmodified Orleans ADO.NET reminder table on our PostgreSQL script (ORLEANS-ADONET.md §7 E),
/// resolved from a running silo. Each test has its own ServiceId, so tests share one database.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
[ProcessLevel]
public sealed class PostgreSqlReminderTableTests(PostgreSqlFixture database) : IAsyncLifetime
{
    private TestSilo? _silo;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task UpsertRow_Twice_ReturnsNewETagAndOnlyCurrentETagDeletes()
    {
        // Arrange
        var table = await TableAsync();
        var grain = Grain("a");
        var reminder = Reminder(grain, "tick", TimeSpan.FromMinutes(1));

        // Act
        var firstETag = await table.UpsertRow(reminder, default);
        var secondETag = await table.UpsertRow(Reminder(grain, "tick", TimeSpan.FromMinutes(2)), default);
        var deletedWithStale = await table.RemoveRow(grain, "tick", firstETag!, default);
        var deletedWithCurrent = await table.RemoveRow(grain, "tick", secondETag!, default);
        var afterDelete = await table.ReadRow(grain, "tick", default);

        // Assert
        Assert.False(string.IsNullOrEmpty(firstETag));
        Assert.NotEqual(firstETag, secondETag);
        Assert.False(deletedWithStale);
        Assert.True(deletedWithCurrent);
        Assert.Null(afterDelete);
    }

    [SkippableFact]
    public async Task ReadRow_LongPeriod_RoundTripsEveryField()
    {
        // Arrange
        var table = await TableAsync();
        var grain = Grain("b");
        // Beyond int.MaxValue milliseconds (~24.8 days), so Period must be stored as bigint.
        var period = TimeSpan.FromDays(90);
        var startAt = new DateTime(2026, 11, 27, 12, 0, 0, 123, DateTimeKind.Utc);
        var etag = await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "expiry", StartAt = startAt, Period = period }, default);

        // Act
        var read = await table.ReadRow(grain, "expiry", default);
        var all = await table.ReadRows(grain, default);

        // Assert
        Assert.NotNull(read);
        Assert.Equal(grain, read.GrainId);
        Assert.Equal("expiry", read.ReminderName);
        Assert.Equal(startAt, read.StartAt);
        Assert.Equal(period, read.Period);
        Assert.Equal(etag, read.ETag);
        Assert.Single(all.Reminders);
    }

    [SkippableFact]
    public async Task ReadRows_RingRanges_ReturnExactlyTheRemindersInRange()
    {
        // Arrange
        var table = await TableAsync();
        var grains = Enumerable.Range(0, 64).Select(i => Grain($"ring-{i}")).ToList();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Reminder(grain, "r", TimeSpan.FromMinutes(1)), default);
        }

        // Non-wrapping, non-wrapping across the signed zero, wrapping, and the whole ring (begin == end).
        var ranges = new (uint Begin, uint End)[]
        {
            (0x1000_0000, 0x6000_0000),
            (0x6000_0000, 0xA000_0000),
            (0xC000_0000, 0x2000_0000),
            (0x8000_0000, 0x8000_0000),
        };

        foreach (var (begin, end) in ranges)
        {
            // Act
            var data = await table.ReadRows(begin, end, default);

            // Assert
            var expected = grains.Where(g => InRange(g.GetUniformHashCode(), begin, end)).Select(g => g.ToString()).Order();
            Assert.Equal(expected, data.Reminders.Select(r => r.GrainId.ToString()).Order());
        }
    }

    [SkippableFact]
    public async Task TestOnlyClearTable_ServiceWithReminders_RemovesThem()
    {
        // Arrange
        var table = await TableAsync();
        var grain = Grain("c");
        await table.UpsertRow(Reminder(grain, "x", TimeSpan.FromMinutes(1)), default);

        // Act
        await table.TestOnlyClearTable(default);

        // Assert
        Assert.Empty((await table.ReadRows(grain, default)).Reminders);
    }

    // Orleans' ring range (begin, end] in unsigned space; begin == end is the whole ring.
    private static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private static GrainId Grain(string key) => GrainId.Create("reminder-test", $"{key}-{Guid.NewGuid():N}");

    private static ReminderEntry Reminder(GrainId grain, string name, TimeSpan period) =>
        new() { GrainId = grain, ReminderName = name, StartAt = DateTime.UtcNow, Period = period };

    private async Task<IReminderTable> TableAsync()
    {
        Skip.If(database.ConnectionString is null, PostgreSqlFixture.SkipReason);
        var connectionString = database.ConnectionString!;
        _silo = await TestSilo.StartAsync(silo =>
        {
            silo.UseLocalhostClustering(TestSilo.FreePort(), TestSilo.FreePort(), serviceId: $"svc-{Guid.NewGuid():N}", clusterId: $"c-{Guid.NewGuid():N}");
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
        });
        return _silo.Services.GetRequiredService<IReminderTable>();
    }
}
