namespace AuthCluster.Tests.Infrastructure;

/// <summary>One API with default test settings, shared by the tests of a class (they use unique emails).</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public AuthApiFactory Factory { get; } = new();

    public Task InitializeAsync()
    {
        // Start the host (and its silo) once, up front.
        _ = Factory.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
