using AuthCluster.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace AuthCluster.Tests.Http;

/// <summary>Outside Development the service refuses to start with missing or development secrets.</summary>
public sealed class StartupTests
{
    [Fact]
    public void Start_WithoutClients_Refuses()
    {
        using var probe = new AuthApiFactory();
        var withoutClients = probe.Settings.Keys.Where(k => k.StartsWith("Auth:Clients:", StringComparison.Ordinal)).ToDictionary(k => k, _ => (string?)null);
        using var factory = new AuthApiFactory(withoutClients);

        var failure = Record.Exception(() => factory.Server);

        Assert.IsType<OptionsValidationException>(failure);
    }

    [Fact]
    public void Start_WithoutKeyEncryptionKey_Refuses()
    {
        using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Signing:KeyEncryptionKey"] = null });

        var failure = Record.Exception(() => factory.Server);

        Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("KeyEncryptionKey", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_WithShortClientSecret_Refuses()
    {
        using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Clients:0:Secret"] = "dev-secret" });

        var failure = Record.Exception(() => factory.Server);

        Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("at least 32 characters", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_WithUnsupportedAlgorithm_Refuses()
    {
        using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Signing:Algorithm"] = "HS256" });

        var failure = Record.Exception(() => factory.Server);

        Assert.IsType<OptionsValidationException>(failure);
    }
}
