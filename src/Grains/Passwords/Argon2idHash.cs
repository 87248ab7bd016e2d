using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace AuthCluster.Grains.Passwords;

/// <summary>
/// argon2id in the PHC string format of the reference implementation:
/// <c>$argon2id$v=19$m={KiB},t={passes},p={lanes}$salt$hash</c>, salt and hash in base64 without padding.
/// Only version 19 (Argon2 1.3): it is what every library has written since 2016, and the only one the
/// implementation we verify with computes.
/// </summary>
internal sealed class Argon2idHash : ImportedPasswordHash
{
    private const int MinSaltBytes = 8; // the Argon2 specification's minimum

    private readonly int _memoryKiB;
    private readonly int _iterations;
    private readonly int _parallelism;
    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private Argon2idHash(string value, int memoryKiB, int iterations, int parallelism, byte[] salt, byte[] hash) : base(value)
    {
        _memoryKiB = memoryKiB;
        _iterations = iterations;
        _parallelism = parallelism;
        _salt = salt;
        _hash = hash;
    }

    public override ImportedHashKind Kind => ImportedHashKind.Argon2id;

    public override bool Verify(string password)
    {
        // The library refuses an empty password, and login never presents one.
        if (password.Length == 0)
        {
            return false;
        }

        var passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            using var argon2 = new Argon2id(passwordBytes)
            {
                Salt = _salt,
                MemorySize = _memoryKiB,
                Iterations = _iterations,
                DegreeOfParallelism = _parallelism,
            };
            return CryptographicOperations.FixedTimeEquals(argon2.GetBytes(_hash.Length), _hash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    /// <summary>Why <paramref name="value"/> is not an accepted argon2id hash, or null with <paramref name="hash"/> set.</summary>
    internal static string? Read(string value, out ImportedPasswordHash? hash)
    {
        hash = null;
        var parts = value.Split('$');
        if (parts.Length < 2 || parts[1] is not "argon2id")
        {
            return "Only argon2id is accepted of the Argon2 variants.";
        }

        if (parts.Length != 6 || parts[2] != "v=19")
        {
            return "Is not an argon2id hash of version 19 ($argon2id$v=19$m=…,t=…,p=…$salt$hash).";
        }

        if (ReadParameters(parts[3]) is not var (memoryKiB, iterations, parallelism))
        {
            return "argon2id parameters must be exactly m=…,t=…,p=… (in that order).";
        }

        if (ParametersProblem(memoryKiB, iterations, parallelism) is { } problem)
        {
            return problem;
        }

        if (DecodeUnpadded(parts[4]) is not { Length: >= MinSaltBytes and <= ImportedHashLimits.MaxSaltBytes } salt)
        {
            return $"argon2id salt must be base64 of {MinSaltBytes}–{ImportedHashLimits.MaxSaltBytes} bytes.";
        }

        if (DecodeUnpadded(parts[5]) is not { Length: >= ImportedHashLimits.MinHashBytes and <= ImportedHashLimits.MaxHashBytes } expected)
        {
            return $"argon2id hash must be base64 of {ImportedHashLimits.MinHashBytes}–{ImportedHashLimits.MaxHashBytes} bytes.";
        }

        hash = new Argon2idHash(value, (int)memoryKiB, (int)iterations, (int)parallelism, salt, expected);
        return null;
    }

    private static string? ParametersProblem(long memoryKiB, long iterations, long parallelism)
    {
        if (parallelism is < 1 or > ImportedHashLimits.MaxArgon2Parallelism)
        {
            return $"argon2id parallelism {parallelism} is outside the accepted range 1–{ImportedHashLimits.MaxArgon2Parallelism}.";
        }

        // Argon2 needs at least 8 KiB per lane.
        if (memoryKiB < 8 * parallelism || memoryKiB > ImportedHashLimits.MaxArgon2MemoryKiB)
        {
            return $"argon2id memory {memoryKiB} KiB is outside the accepted range {8 * parallelism}–{ImportedHashLimits.MaxArgon2MemoryKiB} KiB.";
        }

        if (iterations is < 1 or > ImportedHashLimits.MaxArgon2Iterations)
        {
            return $"argon2id pass count {iterations} is outside the accepted range 1–{ImportedHashLimits.MaxArgon2Iterations}.";
        }

        return memoryKiB * iterations > ImportedHashLimits.MaxArgon2Work
            ? string.Create(CultureInfo.InvariantCulture, $"argon2id memory × passes ({memoryKiB} KiB × {iterations}) exceeds the accepted work of {ImportedHashLimits.MaxArgon2Work} KiB.")
            : null;
    }

    private static (long MemoryKiB, long Iterations, long Parallelism)? ReadParameters(string text)
    {
        var fields = text.Split(',');
        return fields.Length == 3
            && ReadParameter(fields[0], "m=") is { } memory
            && ReadParameter(fields[1], "t=") is { } iterations
            && ReadParameter(fields[2], "p=") is { } parallelism
                ? (memory, iterations, parallelism)
                : null;
    }

    private static long? ReadParameter(string field, string name) =>
        field.StartsWith(name, StringComparison.Ordinal)
        && long.TryParse(field.AsSpan(name.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    /// <summary>PHC strings use standard base64 without padding; anything else (padding, URL alphabet) is refused.</summary>
    private static byte[]? DecodeUnpadded(string text)
    {
        if (text.Length % 4 == 1 || text.Contains('=', StringComparison.Ordinal))
        {
            return null;
        }

        var padded = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        var bytes = new byte[padded.Length * 3 / 4];
        return Convert.TryFromBase64String(padded, bytes, out var length) ? bytes[..length] : null;
    }
}
