using Microsoft.Extensions.Time.Testing;

namespace AuthCluster.Tests.Infrastructure;

/// <summary>
/// One API host (and its silo), started once and shared by the tests of a class: starting a host costs about a
/// second, a request a few milliseconds. Tests on a shared host use unique emails (and, where it matters, their own
/// client IP) and look only at what they created. A class that needs other settings derives a fixture that passes
/// them; only a test that needs a fresh host for itself (a restart, a setting no other test may see) starts one.
/// </summary>
public class ApiFixture : IAsyncLifetime
{
    public ApiFixture()
        : this(null, null)
    {
    }

    protected ApiFixture(IDictionary<string, string?>? settings, FakeTimeProvider? time) => Factory = new AuthApiFactory(settings, time);

    public AuthApiFactory Factory { get; }

    /// <summary>The host's fake clock; only fixtures that pass one have it.</summary>
    public FakeTimeProvider Time => Factory.Time ?? throw new InvalidOperationException("This fixture runs on the real clock.");

    public Task InitializeAsync()
    {
        // Start the host (and its silo) once, up front.
        _ = Factory.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
