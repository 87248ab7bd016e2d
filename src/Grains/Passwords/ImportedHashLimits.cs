using System.Security.Cryptography;

namespace AuthCluster.Grains.Passwords;

/// <summary>
/// What an imported hash may cost. The bounds admit what current libraries write by default (Django 6:
/// 1,200,000 × SHA-256; Identity v3: 100,000 × SHA-512; bcrypt 10–13; argon2id up to PHP's 64 MiB × 4) and
/// keep one verification to about one or two seconds of a core on the 2-core reference machine (measured:
/// PBKDF2 ≈ 0.5 s per million iterations of SHA-1 or SHA-256 and ≈ 1 s of SHA-512; bcrypt cost 11 ≈ 136 ms,
/// doubling per step; managed argon2id 64 MiB × 3 ≈ 0.8 s), so a hostile import file cannot make a login
/// take minutes. The lower bounds are below anything a real hasher has written: such values are damaged or forged.
/// </summary>
public static class ImportedHashLimits
{
    /// <summary>Longer than any accepted format can be with the bounds below.</summary>
    public const int MaxValueLength = 512;

    public const int MinBcryptCost = 4;
    public const int MaxBcryptCost = 14;

    public const int MinPbkdf2Iterations = 1_000;

    /// <summary>Salt length adds no work; the bound only keeps values sane.</summary>
    public const int MaxSaltBytes = 64;
    public const int MinHashBytes = 16;
    public const int MaxHashBytes = 64;

    public const int MaxArgon2MemoryKiB = 256 * 1024;
    public const int MaxArgon2Iterations = 16;
    public const int MaxArgon2Parallelism = 16;

    /// <summary>Bound on memory × passes in KiB: 256 MiB × 2, 128 MiB × 4 or 64 MiB × 8.</summary>
    public const long MaxArgon2Work = 512L * 1024;

    /// <summary>
    /// Bound on PBKDF2 work: iterations times output blocks (a key longer than the digest is derived block by
    /// block, each costing the full iteration count). SHA-512 costs about twice SHA-1 or SHA-256 per iteration.
    /// </summary>
    public static long MaxPbkdf2Work(HashAlgorithmName prf) => prf == HashAlgorithmName.SHA512 ? 1_500_000 : 3_000_000;
}
