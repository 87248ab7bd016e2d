using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Passwords;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Domain;

/// <summary>Hashes and verifies passwords. Implementations bound their CPU use.</summary>
public interface IPasswordHasher
{
    /// <summary>Hashes with the current scheme at the configured cost.</summary>
    Task<string> HashAsync(string password);

    /// <summary>
    /// Verifies against a stored hash of any form the hasher reads: its own, one brought in by an import, or
    /// none (an empty string: the customer has no password yet, and nothing verifies). When <c>NeedsRehash</c>
    /// is set on a valid check, the stored hash is not in the current scheme (another cost, an imported format,
    /// …): the caller replaces it with <see cref="HashAsync"/> of the password it now holds, in the same write
    /// that records the login. This is the one upgrade path for every older scheme.
    /// </summary>
    Task<PasswordCheck> VerifyAsync(string password, string storedHash);

    /// <summary>Does the work of a verification against a hash nobody owns, so that unknown emails take as long as known ones.</summary>
    Task VerifyDummyAsync(string password);
}

/// <summary>
/// Login against whatever a stored hash was made from. Passwords are NFKC-normalized before they are hashed, but a
/// hash from before that (or an imported one) may hold the form as typed: each of
/// <see cref="PasswordText.LoginCandidates"/> is tried, the normalized form first. A wrong password costs one
/// verification per candidate whether or not the account exists, so timing does not tell.
/// </summary>
public static class PasswordLogin
{
    /// <summary>Verifies the candidates in order; <c>Upgrade</c> is the hash to store instead, when one is due.</summary>
    public static async Task<(PasswordCheck Check, string? Upgrade)> VerifyAsync(this IPasswordHasher hasher, IReadOnlyList<string> candidates, string storedHash)
    {
        var check = default(PasswordCheck);
        for (var i = 0; i < candidates.Count; i++)
        {
            check = await hasher.VerifyAsync(candidates[i], storedHash);
            if (check.Valid)
            {
                return (check, i > 0 || check.NeedsRehash ? await hasher.HashAsync(candidates[0]) : null);
            }
        }

        return (check, null);
    }

    /// <summary>The work of a failed login for an account that does not exist.</summary>
    public static async Task VerifyDummyAsync(this IPasswordHasher hasher, IReadOnlyList<string> candidates)
    {
        foreach (var candidate in candidates)
        {
            await hasher.VerifyDummyAsync(candidate);
        }
    }
}

/// <param name="Valid">The password matches.</param>
/// <param name="NeedsRehash">The stored hash is not in the current scheme; re-hash after a valid check.</param>
/// <param name="Unreadable">The stored hash is not one this hasher can read (damaged, or refused by today's limits); the customer has to reset the password.</param>
public readonly record struct PasswordCheck(bool Valid, bool NeedsRehash, bool Unreadable = false);

/// <summary>
/// bcrypt over a SHA-384 pre-hash. bcrypt reads at most 72 bytes; the pre-hash (64 base64 characters)
/// makes every character of a long password count. At most one hash per core runs at a time: bcrypt is
/// pure CPU, so more concurrency only adds latency to every request in flight. Also verifies imported
/// hashes (<see cref="ImportedPasswordHash"/>), always reporting them as due for a re-hash.
/// </summary>
public sealed class BcryptPasswordHasher : IPasswordHasher, IDisposable
{
    private readonly int _cost;
    private readonly SemaphoreSlim _cores = new(Environment.ProcessorCount);
    private readonly Lazy<string> _dummyHash;

    /// <summary>How long one bcrypt verification at the configured cost takes here (ticks of <see cref="Stopwatch"/>), a moving average.</summary>
    private long _verifyTicks;

    public BcryptPasswordHasher(IOptions<AuthOptions> options)
    {
        _cost = options.Value.Passwords.BcryptCost;
        _dummyHash = new Lazy<string>(CreateDummyHash);
    }

    public Task<string> HashAsync(string password) =>
        RunBoundedAsync(() => BCrypt.Net.BCrypt.HashPassword(PreHash(password), _cost));

    public async Task<PasswordCheck> VerifyAsync(string password, string storedHash)
    {
        if (storedHash.Length == 0)
        {
            await VerifyDummyAsync(password);
            return new PasswordCheck(false, false);
        }

        if (ImportedPasswordHash.IsStored(storedHash))
        {
            if (!ImportedPasswordHash.TryFromStored(storedHash, out var imported))
            {
                await VerifyDummyAsync(password);
                return new PasswordCheck(false, false, Unreadable: true);
            }

            return new PasswordCheck(await VerifyImportedAsync(password, imported), NeedsRehash: true);
        }

        return await RunBoundedAsync(() => VerifyOwn(password, storedHash));
    }

    public Task VerifyDummyAsync(string password) =>
        RunBoundedAsync(() => TimedBcryptVerify(password, _dummyHash.Value));

    public void Dispose() => _cores.Dispose();

    private static string PreHash(string password) =>
        Convert.ToBase64String(SHA384.HashData(Encoding.UTF8.GetBytes(password)));

    private PasswordCheck VerifyOwn(string password, string hash)
    {
        if (!BcryptHash.IsWellFormed(hash))
        {
            // A damaged stored value (BCrypt.Net would throw on it): refuse it with the work of a real verification.
            TimedBcryptVerify(password, _dummyHash.Value);
            return new PasswordCheck(false, false, Unreadable: true);
        }

        return new PasswordCheck(TimedBcryptVerify(password, hash), BCrypt.Net.BCrypt.PasswordNeedsRehash(hash, _cost));
    }

    /// <summary>
    /// Verifies an imported hash and then waits until it has taken at least as long as a bcrypt verification.
    /// Some formats are far cheaper (ASP.NET Identity v2: ~1 ms), and without the wait an imported customer
    /// would answer faster than an unknown email. The wait holds no core. Formats dearer than bcrypt stay
    /// distinguishable until the customer's first login (bounded by <see cref="ImportedHashLimits"/>).
    /// </summary>
    private async Task<bool> VerifyImportedAsync(string password, ImportedPasswordHash hash)
    {
        // Physical time on purpose: this answers an attacker's stopwatch, not a rule of the domain.
        var started = Stopwatch.GetTimestamp();
        var valid = await RunBoundedAsync(() =>
        {
            _ = _dummyHash.Value; // measures the bcrypt duration on first use
            return hash.Verify(password);
        });
        var bcryptDuration = Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _verifyTicks));
        var shortfall = bcryptDuration - Stopwatch.GetElapsedTime(started);
        if (shortfall > TimeSpan.Zero)
        {
            await Task.Delay(shortfall, TimeProvider.System);
        }

        return valid;
    }

    private string CreateDummyHash()
    {
        var hash = BCrypt.Net.BCrypt.HashPassword(PreHash(Convert.ToHexString(RandomNumberGenerator.GetBytes(16))), _cost);
        TimedBcryptVerify("calibration", hash);
        return hash;
    }

    /// <summary>A bcrypt verification at its true cost, feeding the duration that imported verifications are padded to.</summary>
    private bool TimedBcryptVerify(string password, string hash)
    {
        var started = Stopwatch.GetTimestamp();
        var valid = BCrypt.Net.BCrypt.Verify(PreHash(password), hash);
        var ticks = Stopwatch.GetTimestamp() - started;

        // A moving average follows a changing machine load without letting one slow run dominate.
        var previous = Interlocked.Read(ref _verifyTicks);
        Interlocked.Exchange(ref _verifyTicks, previous == 0 ? ticks : previous + ((ticks - previous) / 8));
        return valid;
    }

    private async Task<T> RunBoundedAsync<T>(Func<T> work)
    {
        await _cores.WaitAsync();
        try
        {
            // Off the grain's scheduler: a 100+ ms CPU burst must not hold an Orleans worker turn.
            return await Task.Run(work);
        }
        finally
        {
            _cores.Release();
        }
    }
}
