using System.Security.Cryptography;
using System.Text;
using AuthCluster.Grains.Interfaces;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Domain;

/// <summary>Hashes and verifies passwords. Implementations bound their CPU use.</summary>
public interface IPasswordHasher
{
    Task<string> HashAsync(string password);

    /// <summary>Verifies; <c>NeedsRehash</c> is true when the hash was made with other settings.</summary>
    Task<PasswordCheck> VerifyAsync(string password, string hash);

    /// <summary>Does the work of a verification against a hash nobody owns, so that unknown emails take as long as known ones.</summary>
    Task VerifyDummyAsync(string password);
}

public readonly record struct PasswordCheck(bool Valid, bool NeedsRehash);

/// <summary>
/// bcrypt over a SHA-384 pre-hash. bcrypt reads at most 72 bytes; the pre-hash (64 base64 characters)
/// makes every character of a long password count. At most one hash per core runs at a time: bcrypt is
/// pure CPU, so more concurrency only adds latency to every request in flight.
/// </summary>
public sealed class BcryptPasswordHasher : IPasswordHasher, IDisposable
{
    private readonly int _cost;
    private readonly SemaphoreSlim _cores = new(Environment.ProcessorCount);
    private readonly Lazy<string> _dummyHash;

    public BcryptPasswordHasher(IOptions<AuthOptions> options)
    {
        _cost = options.Value.Passwords.BcryptCost;
        _dummyHash = new Lazy<string>(() => BCrypt.Net.BCrypt.HashPassword(PreHash(Convert.ToHexString(RandomNumberGenerator.GetBytes(16))), _cost));
    }

    public Task<string> HashAsync(string password) =>
        RunBoundedAsync(() => BCrypt.Net.BCrypt.HashPassword(PreHash(password), _cost));

    public Task<PasswordCheck> VerifyAsync(string password, string hash) =>
        RunBoundedAsync(() => new PasswordCheck(
            BCrypt.Net.BCrypt.Verify(PreHash(password), hash),
            BCrypt.Net.BCrypt.PasswordNeedsRehash(hash, _cost)));

    public Task VerifyDummyAsync(string password) =>
        RunBoundedAsync(() => BCrypt.Net.BCrypt.Verify(PreHash(password), _dummyHash.Value));

    public void Dispose() => _cores.Dispose();

    private static string PreHash(string password) =>
        Convert.ToBase64String(SHA384.HashData(Encoding.UTF8.GetBytes(password)));

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
