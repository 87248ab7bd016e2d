using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// One per shop and normalized email (key <c>{shop_id}:{email}</c>). Serializes registration
/// (first reservation wins) and keeps the failed-login throttle, whether or not an account exists.
/// </summary>
[Alias("AuthCluster.IEmailIndexGrain")]
public interface IEmailIndexGrain : IGrainWithStringKey
{
    [Alias("Register")]
    Task<RegisterResult> Register(Profile profile, string password, ClientContext client);

    [Alias("Login")]
    Task<LoginResult> Login(string password, ClientContext client);

    /// <summary>
    /// Counts the request against the per-account limit and, when an account exists and the limit allows,
    /// hands it to the customer without waiting for it: the caller's latency is the same either way.
    /// </summary>
    [Alias("RequestPasswordReset")]
    Task RequestPasswordReset(PasswordResetRequest request);

    /// <summary>Sets the new password if <paramref name="hashKey"/> is the customer's current reset hash, and clears the login throttle.</summary>
    [Alias("CompletePasswordReset")]
    Task<PasswordResetResult> CompletePasswordReset(Guid customerId, string hashKey, string password, ClientContext client);
}

/// <summary>Something that owns sessions: a registered customer or a guest.</summary>
/// <remarks>
/// The retry-safe methods carry a response timeout below the 5 s default, so that a call lost with a killed silo
/// times out early enough for the API to repeat it on a survivor.
/// </remarks>
[Alias("AuthCluster.ISessionOwnerGrain")]
public interface ISessionOwnerGrain : IGrainWithGuidKey
{
    /// <summary>The owner's sessions that are still active.</summary>
    [RetrySafe, ResponseTimeout("00:00:03"), Alias("GetSessions")]
    Task<IReadOnlyList<SessionInfo>> GetSessions();

    /// <summary>Revokes one of the owner's sessions; false if it is not one of them.</summary>
    [Alias("RevokeSession")]
    Task<bool> RevokeSession(Guid sessionId, RevocationReason reason);

    /// <summary>Logout: revokes the sessions that <paramref name="scope"/> selects relative to <paramref name="currentSessionId"/>.</summary>
    [RetrySafe, ResponseTimeout("00:00:03"), Alias("Logout")]
    Task Logout(Guid currentSessionId, LogoutScope scope);
}

/// <summary>A registered customer, keyed by customer id.</summary>
[Alias("AuthCluster.ICustomerGrain")]
public interface ICustomerGrain : ISessionOwnerGrain
{
    /// <summary>Creates the account and its first session. Called once, by the email index.</summary>
    [Alias("Create")]
    Task<SessionGrant> Create(long shopId, Profile profile, string password, ClientContext client);

    /// <summary>Checks the password and starts a session; null when the password is wrong.</summary>
    [Alias("Login")]
    Task<SessionGrant?> Login(string password, ClientContext client);

    /// <summary>
    /// Mints a reset hash that supersedes any earlier one and hands its email to delivery. One-way: the
    /// email index does not wait, so a request for an existing account costs it as much as one for none.
    /// </summary>
    [OneWay, Alias("StartPasswordReset")]
    Task StartPasswordReset(PasswordResetRequest request);

    /// <summary>
    /// Sets the new password when <paramref name="hashKey"/> is the current, unexpired reset hash; revokes every
    /// session and starts a new one. Non-reentrant, so of two concurrent uses of one hash exactly one wins.
    /// </summary>
    [Alias("CompletePasswordReset")]
    Task<PasswordResetResult> CompletePasswordReset(string hashKey, string password, ClientContext client);
}

/// <summary>A guest, keyed by a fresh guest id per guest login.</summary>
[Alias("AuthCluster.IGuestGrain")]
public interface IGuestGrain : ISessionOwnerGrain
{
    /// <remarks>
    /// Retry-safe because the caller picks a fresh guest id: a repeat either creates the guest (the first attempt
    /// never did) or fails with <see cref="AlreadyCreatedException"/>; it never creates a second guest. The short
    /// timeout (two writes take milliseconds) lets a call lost with its silo be retried instead of failing.
    /// </remarks>
    [RetrySafe, ResponseTimeout("00:00:03"), Alias("Create")]
    Task<SessionGrant> Create(long shopId, Profile profile, ClientContext client);
}

/// <summary>A refresh-token family (one login), keyed by session id. Hot path of refresh and validate.</summary>
[Alias("AuthCluster.ISessionGrain")]
public interface ISessionGrain : IGrainWithGuidKey
{
    // Shorter than the 5 s default: an answer from memory, or after one write, that takes this long was lost with
    // its silo. These calls are retry-safe, so timing out early turns a dead silo into a retry, not an error.
    private const string QuickRead = "00:00:02";
    private const string OneWrite = "00:00:03";

    /// <summary>Starts the session and returns its first refresh token.</summary>
    [Alias("Start")]
    Task<SessionGrant> Start(SessionStart start);

    /// <summary>Rotates the refresh token (RFC 9700 §4.14), detecting reuse.</summary>
    /// <remarks>
    /// Retry-safe within the reuse grace window: the successor is derived from the presented token, so a repeat
    /// after a rotation whose answer was lost returns the same successor, never a second one.
    /// </remarks>
    [RetrySafe(WithinRefreshGrace = true), ResponseTimeout(OneWrite), Alias("Refresh")]
    Task<RefreshResult> Refresh(string refreshToken, ClientContext client);

    /// <summary>True while the session is neither revoked nor expired: the revocation check of every validation.</summary>
    [ReadOnly, ResponseTimeout(QuickRead), Alias("IsActive")]
    Task<bool> IsActive();

    /// <summary>The session as listed to its owner; null when no longer active.</summary>
    [ReadOnly, ResponseTimeout(QuickRead), Alias("GetInfo")]
    Task<SessionInfo?> GetInfo();

    /// <summary>What a refresh token stands for, if it is the current token of an active session.</summary>
    [ReadOnly, ResponseTimeout(QuickRead), Alias("Inspect")]
    Task<RefreshTokenInfo?> Inspect(string refreshToken);

    [RetrySafe, Alias("Revoke")]
    Task Revoke(RevocationReason reason);
}

/// <summary>
/// One emailed reset hash, keyed by the hex SHA-256 digest of the hash (<c>ResetHashes.Key</c>). Persists the
/// pending email and delivers it, retrying until delivered or the hash expires; answers who the hash belongs to.
/// </summary>
[Alias("AuthCluster.IPasswordResetGrain")]
public interface IPasswordResetGrain : IGrainWithStringKey
{
    /// <summary>Persists the pending email, then starts delivering it (after this call returns).</summary>
    [Alias("Create")]
    Task Create(PasswordResetDelivery delivery);

    /// <summary>The owner of the hash while it is live and unused; null otherwise.</summary>
    [AlwaysInterleave, Alias("Lookup")]
    Task<PasswordResetTicket?> Lookup();

    /// <summary>Attempts delivery if it is due, or forgets the hash once it has expired. Idempotent.</summary>
    [OneWay, Alias("Drive")]
    Task Drive();

    /// <summary>
    /// The hash was used or superseded: stop delivering and forget it. One-way, so that the customer never waits
    /// behind a delivery attempt in flight (which may take as long as the provider's timeout).
    /// </summary>
    [OneWay, Alias("Retire")]
    Task Retire();
}

/// <summary>
/// The live reset hashes (singleton, key 0): re-drives their delivery after a restart and from a reminder,
/// so that a pending email survives in-memory reminders being lost and is eventually cleaned up.
/// </summary>
[Alias("AuthCluster.IPasswordResetOutboxGrain")]
public interface IPasswordResetOutboxGrain : IGrainWithIntegerKey
{
    [Alias("Add")]
    Task Add(string resetKey, DateTimeOffset expiresAt);

    [OneWay, Alias("Remove")]
    Task Remove(string resetKey);

    /// <summary>The email went out: from now on the reset needs driving only once, to be cleaned up after expiry.</summary>
    [OneWay, Alias("MarkDelivered")]
    Task MarkDelivered(string resetKey);

    /// <summary>Ensures the reminder is registered and drives every live reset once; called when a silo starts.</summary>
    [Alias("Resume")]
    Task Resume();
}

/// <summary>The signing key ring of one issuer. Read by API nodes and cached; never called per request.</summary>
[Alias("AuthCluster.ISigningKeyGrain")]
public interface ISigningKeyGrain : IGrainWithStringKey
{
    /// <summary>Rotates when due, then returns every key that is published now.</summary>
    [RetrySafe, Alias("GetKeyRing")]
    Task<IReadOnlyList<SigningKeyRecord>> GetKeyRing();
}

/// <summary>Answers only when grain storage answers; used by readiness checks.</summary>
[Alias("AuthCluster.IHealthGrain")]
public interface IHealthGrain : IGrainWithIntegerKey
{
    [ReadOnly, Alias("CheckStorage")]
    Task CheckStorage();
}

/// <summary>
/// A signing key. The private key is encrypted (AES-GCM) with the key-encryption key from configuration;
/// it is never stored or sent in the clear.
/// </summary>
[GenerateSerializer, Immutable, Alias("AuthCluster.SigningKeyRecord")]
public sealed record SigningKeyRecord(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Algorithm,
    [property: Id(2)] byte[] EncryptedPrivateKey,
    [property: Id(3)] DateTimeOffset PublishedAt,
    [property: Id(4)] DateTimeOffset SignsFrom,
    [property: Id(5)] DateTimeOffset SignsUntil,
    [property: Id(6)] DateTimeOffset RetiresAt);

/// <summary>
/// Deletes state that can no longer matter (expired or long-revoked sessions, guests past any session's
/// lifetime, throttle rows of emails without an account) on a reminder, so storage does not grow for ever.
/// </summary>
[Alias("AuthCluster.IJanitorGrain")]
public interface IJanitorGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the periodic reminder; idempotent, called by every silo at start.</summary>
    [Alias("Start")]
    Task Start();

    /// <summary>Runs one sweep now and returns how many rows it deleted.</summary>
    [Alias("Sweep")]
    Task<int> Sweep();
}
