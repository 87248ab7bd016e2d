using AuthCluster.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
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

    [Theory]
    [InlineData(31, false)]
    [InlineData(32, true)]
    public void Start_PlainSecretOutsideDevelopment_NeedsAtLeast32Characters(int length, bool starts)
    {
        using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Clients:0:Secret"] = new string('s', length) });

        var failure = Record.Exception(() => factory.Server);

        if (starts)
        {
            Assert.Null(failure);
        }
        else
        {
            Assert.IsType<OptionsValidationException>(failure);
            Assert.Contains("'shop-a'", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(new string('s', length), failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Start_ShortPlainSecretInDevelopment_Starts()
    {
        using var settings = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Clients:0:Secret"] = "dev-secret" });
        using var factory = settings.WithWebHostBuilder(b => b.UseEnvironment(Environments.Development));

        var failure = Record.Exception(() => factory.Server);

        Assert.Null(failure);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    public void Start_MalformedSecretSha256_Refuses(string digest)
    {
        using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Clients:1:SecretSha256"] = digest });

        var failure = Record.Exception(() => factory.Server);

        Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("SecretSha256", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_WithUnsupportedAlgorithm_Refuses()
    {
        using var factory = new AuthApiFactory(new Dictionary<string, string?> { ["Auth:Signing:Algorithm"] = "HS256" });

        var failure = Record.Exception(() => factory.Server);

        Assert.IsType<OptionsValidationException>(failure);
    }
}
