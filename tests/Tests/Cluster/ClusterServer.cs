using AuthCluster.Tests.Storage;

namespace AuthCluster.Tests.Cluster;

/// <summary>
/// The PostgreSQL server of the multi-process tests that run alone: <c>AUTHCLUSTER_TEST_POSTGRES</c> when set,
/// otherwise one throw-away server of the test run's own, started by the first test that needs it. They skip only
/// where neither exists.
/// </summary>
public sealed class ClusterServer : IAsyncLifetime
{
    private readonly SemaphoreSlim _starting = new(1, 1);
    private string? _connectionString = Environment.GetEnvironmentVariable(PostgreSqlFixture.EnvironmentVariable);
    private ThrowawayPostgres? _own;

    /// <summary>The server's connection string; skips the calling test when there can be none.</summary>
    public async Task<string> GetAsync()
    {
        Skip.If(string.IsNullOrWhiteSpace(_connectionString) && !ThrowawayPostgres.IsInstalled, PostgreSqlFixture.SkipReason);
        await _starting.WaitAsync();
        try
        {
            if (string.IsNullOrWhiteSpace(_connectionString))
            {
                _own = await ThrowawayPostgres.StartAsync();
                _connectionString = _own.ConnectionString;
            }

            return _connectionString;
        }
        finally
        {
            _starting.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_own is not null)
        {
            await _own.DisposeAsync();
        }
    }
}
