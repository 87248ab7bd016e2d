using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthCluster.LoadGen;

/// <summary>
/// What one core can do at most, measured in the same run as the scenarios: one bcrypt hash at the configured cost
/// (a login or registration needs one, so cores / hash time bounds them) and one ES256 access-token signature and
/// verification with the library the API uses. The hash is also timed on every core at once: a virtual machine's cores
/// may share physical ones, and then the cores-times-one-hash bound is more than the machine can hash.
/// </summary>
internal static class Limits
{
    private const string Password = "violet-staple-orbit-42";

    public static int Run(Options options)
    {
        var hashMs = Median(5, () => BCrypt.Net.BCrypt.HashPassword(Password, options.Cost));
        var hashBound = Environment.ProcessorCount * 1000 / hashMs;
        var allCoresRate = HashesPerSecondOnAllCores(options.Cost);

        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(ecdsa) { KeyId = "bench" };
        var handler = new JsonWebTokenHandler();
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = "https://auth.example",
            Audience = "shop-api",
            Claims = new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString(), ["sid"] = Guid.NewGuid().ToString(), ["shop_id"] = 1 },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
            TokenType = "at+jwt",
        };
        var token = handler.CreateToken(descriptor);
        var parameters = new TokenValidationParameters { ValidIssuer = "https://auth.example", ValidAudience = "shop-api", IssuerSigningKey = key, ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256] };
        var signUs = PerOperationMicros(2_000, () => handler.CreateToken(descriptor));
        var verifyUs = PerOperationMicros(2_000, () => handler.ValidateTokenAsync(token, parameters).GetAwaiter().GetResult());

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"limits: bcrypt cost {options.Cost} {hashMs:F1} ms per hash (bound {hashBound:F1} hashes/s on {Environment.ProcessorCount} cores; " +
            $"{allCoresRate:F1}/s measured with every core hashing); " +
            $"ES256 sign {signUs:F0} µs, verify {verifyUs:F0} µs (one thread)"));
        if (options.JsonFile is { } file)
        {
            File.AppendAllText(file, JsonSerializer.Serialize(new
            {
                limits = true,
                bcrypt_cost = options.Cost,
                bcrypt_ms = Math.Round(hashMs, 2),
                hash_bound_per_s = Math.Round(hashBound, 1),
                hashes_per_s_all_cores = Math.Round(allCoresRate, 1),
                es256_sign_us = Math.Round(signUs, 1),
                es256_verify_us = Math.Round(verifyUs, 1),
                cores = Environment.ProcessorCount,
            }) + Environment.NewLine);
        }

        return 0;
    }

    /// <summary>One thread per core, each hashing the same number of times after one hash of warm-up.</summary>
    private static double HashesPerSecondOnAllCores(int cost)
    {
        const int perThread = 6;
        using var start = new Barrier(Environment.ProcessorCount + 1);
        var threads = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => new Thread(() =>
        {
            BCrypt.Net.BCrypt.HashPassword(Password, cost);
            start.SignalAndWait();
            for (var i = 0; i < perThread; i++)
            {
                BCrypt.Net.BCrypt.HashPassword(Password, cost);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        threads.ForEach(t => t.Join());
        return threads.Count * perThread / clock.Elapsed.TotalSeconds;
    }

    private static double Median(int runs, Action action) =>
        Enumerable.Range(0, runs).Select(_ => PerOperationMicros(1, action) / 1000).Order().ElementAt(runs / 2);

    private static double PerOperationMicros(int count, Action action)
    {
        action();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            action();
        }

        return clock.Elapsed.TotalMicroseconds / count;
    }
}
