using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace AuthCluster.Grains.Interfaces.Hosting;

/// <summary>Services that API nodes and silos both need: options, clock, key encryption.</summary>
public static class AuthCoreServices
{
    public static IServiceCollection AddAuthCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // A grain that cannot activate because the database is down fails with the driver's exception, which
        // Orleans only serializes for allow-listed namespaces; without this, the caller would get a codec error
        // (a 500) instead of a storage failure (a 503). Silos and API nodes both need the entry.
        services.Configure<ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));
        services.TryAddSingleton(sp => LoadKeyEncryption(
            sp.GetRequiredService<IOptions<AuthOptions>>().Value,
            sp.GetRequiredService<IHostEnvironment>(),
            StorageSettings.From(configuration)));
        return services;
    }

    /// <summary>
    /// The configured KEK; in Development only, one generated once and kept beside the data, so that a
    /// restarted development node can still read its signing keys.
    /// </summary>
    private static KeyEncryption LoadKeyEncryption(AuthOptions options, IHostEnvironment environment, StorageSettings storage)
    {
        if (KeyEncryption.FromOptions(options.Signing) is { } configured)
        {
            return configured;
        }

        if (!environment.IsDevelopment())
        {
            throw new OptionsValidationException(nameof(AuthOptions), typeof(AuthOptions),
                ["Auth:Signing:KeyEncryptionKey or Auth:Signing:Keks:<id> (base64 of 32 random bytes) is required outside Development."]);
        }

        var directory = storage.DataDirectory();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "dev-kek.key");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        return KeyEncryption.FromBase64(File.ReadAllText(path));
    }
}
