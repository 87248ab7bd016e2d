using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Sessions;

/// <summary>
/// A refresh-token family. Every change is written before the call returns; a write that fails (an ETag lost to a
/// duplicate activation, or the database) deactivates this activation and fails the call, so no token is issued from
/// state that was never stored. The caller sees a failure that <see cref="FailurePolicy"/> classes transient (ETag)
/// or unavailable (database); the API repeats only the former, and only for this grain's retry-safe methods.
/// </summary>
public sealed partial class SessionGrain(
    [PersistentState(SessionState.StateName, StorageNames.Auth)] IPersistentState<SessionState> state,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : Grain, ISessionGrain
{
    private readonly ILogger _security = loggers.CreateLogger(SecurityEvents.Category);

    /// <summary>
    /// How many tokens retired before the previous one keep their grace window: a family refreshed more often than this
    /// within the window is not a shop's traffic, and its row stays small.
    /// </summary>
    private const int MaxEarlierRetired = 8;

    private SessionState Session => state.State;

    public async Task<SessionGrant> Start(SessionStart start)
    {
        if (state.RecordExists)
        {
            // A repeat of the start whose answer was lost (the caller picked this fresh id and retries with it): the
            // same grant again, as long as nothing has happened to the session since. Anything else is refused.
            return IsRepeatOf(start, time.GetUtcNow())
                ? Grant(RefreshTokens.Initial(Session.RotationKey))
                : throw new AlreadyCreatedException("A session id is never reused.");
        }

        var now = time.GetUtcNow();
        var rotationKey = RefreshTokens.NewSecret();
        state.State = new SessionState
        {
            SubjectId = start.SubjectId,
            CustomerType = start.CustomerType,
            ShopId = start.ShopId,
            ClientId = start.Client.ClientId,
            Ip = start.Client.Ip,
            UserAgent = start.Client.UserAgent,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = now + options.Value.Tokens.RefreshTokenLifetime,
            RotationKey = rotationKey,
            CurrentDigest = RefreshTokens.Digest(RefreshTokens.Initial(rotationKey)),
        };
        await state.WriteOrDeactivateAsync(this);
        return Grant(RefreshTokens.Initial(rotationKey));
    }

    /// <summary>
    /// The session was started by this very start and its first refresh token is still the current one: not rotated
    /// (so nobody has used the grant yet), not revoked, not expired, and for the same subject, shop and client.
    /// </summary>
    private bool IsRepeatOf(SessionStart start, DateTimeOffset now) =>
        IsActiveAt(now)
        && Session.RotatedAt is null
        && Session.SubjectId == start.SubjectId
        && Session.CustomerType == start.CustomerType
        && Session.ShopId == start.ShopId
        && string.Equals(Session.ClientId, start.Client.ClientId, StringComparison.Ordinal)
        && RefreshTokens.Matches(RefreshTokens.Initial(Session.RotationKey), Session.CurrentDigest);

    public async Task<RefreshResult> Refresh(string refreshToken, ClientContext client)
    {
        // A token of another client is not this client's grant (RFC 6749 §10.4); it says nothing about theft.
        var now = time.GetUtcNow();
        if (!IsActiveAt(now) || client.ClientId != Session.ClientId
            || !RefreshTokenFormat.TryParse(refreshToken, out _, out var secret))
        {
            return RefreshResult.Invalid;
        }

        var grace = options.Value.Tokens.RefreshReuseGrace;
        if (RefreshTokens.Matches(secret, Session.CurrentDigest))
        {
            var successor = RefreshTokens.Successor(Session.RotationKey, secret);
            Retire(now, grace);
            Session.CurrentDigest = RefreshTokens.Digest(successor);
            Session.Ip = client.Ip ?? Session.Ip;
            Session.UserAgent = client.UserAgent ?? Session.UserAgent;
            await state.WriteOrDeactivateAsync(this);
            return new RefreshResult(Grant(successor));
        }

        if (IsRetiredWithin(secret, grace, now))
        {
            // A concurrent or repeated refresh of this token: hand out the successor already minted, not a second one.
            return new RefreshResult(Grant(RefreshTokens.Successor(Session.RotationKey, secret)));
        }

        // Any other secret for this family is a retired token presented again: the family is compromised.
        LogReuseDetected(_security, this.GetPrimaryKey(), Session.SubjectId, client.ClientId, client.Ip, Session.Ip);
        await RevokeCoreAsync(RevocationReason.RefreshTokenReuse, now);
        return RefreshResult.Invalid;
    }

    public Task<bool> IsActive() => Task.FromResult(IsActiveAt(time.GetUtcNow()));

    public Task<bool> IsActiveFor(Guid subjectId, CustomerType customerType) => Task.FromResult(
        IsActiveAt(time.GetUtcNow()) && Session.SubjectId == subjectId && Session.CustomerType == customerType);

    public Task<SessionInfo?> GetInfo() => Task.FromResult(
        IsActiveAt(time.GetUtcNow())
            ? new SessionInfo(this.GetPrimaryKey(), Session.Ip, Session.UserAgent, Session.CreatedAt, Session.UpdatedAt, Session.ExpiresAt)
            : null);

    public Task<RefreshTokenInfo?> Inspect(string refreshToken) => Task.FromResult(
        IsActiveAt(time.GetUtcNow()) && RefreshTokenFormat.TryParse(refreshToken, out _, out var secret) && RefreshTokens.Matches(secret, Session.CurrentDigest)
            ? new RefreshTokenInfo(this.GetPrimaryKey(), Session.SubjectId, Session.CustomerType, Session.ShopId, Session.ClientId, Session.ExpiresAt)
            : null);

    // Repeated, it publishes again: the first call may have failed after its write but before every node had it.
    public Task Revoke(RevocationReason reason) =>
        !state.RecordExists ? Task.CompletedTask
        : Session.RevokedAt is null ? RevokeCoreAsync(reason, time.GetUtcNow())
        : PublishRevocationAsync();

    public Task<SessionRecord?> Describe()
    {
        if (!state.RecordExists)
        {
            return Task.FromResult<SessionRecord?>(null);
        }

        var status = Session.RevokedAt is not null ? SessionStatus.Revoked
            : IsActiveAt(time.GetUtcNow()) ? SessionStatus.Active
            : SessionStatus.Expired;
        return Task.FromResult<SessionRecord?>(new SessionRecord(
            this.GetPrimaryKey(), Session.ClientId, Session.Ip, Session.UserAgent, Session.CreatedAt, Session.UpdatedAt,
            Session.ExpiresAt, status, Session.RevokedAt, Session.RevocationReason));
    }

    public async Task Erase()
    {
        if (!state.RecordExists)
        {
            return;
        }

        // Revoked first, so that the revocation is recorded like any other; the row with the customer's IP and
        // user agent goes next. A session without a row is inactive, so every token of it stays refused.
        await Revoke(RevocationReason.CustomerErased);
        try
        {
            await state.ClearStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private async Task RevokeCoreAsync(RevocationReason reason, DateTimeOffset now)
    {
        Session.RevokedAt = now;
        Session.RevocationReason = reason;
        Session.UpdatedAt = now;
        await state.WriteOrDeactivateAsync(this);
        LogRevoked(_security, this.GetPrimaryKey(), Session.SubjectId, Session.CustomerType, Session.ShopId, Session.ClientId, reason);
        AuthMeter.SessionRevoked(reason);
        await PublishRevocationAsync();
    }

    /// <summary>
    /// API nodes answer validations from memory, so the revocation reaches all of them before the caller hears it
    /// is done. Access tokens issued before it expire within their lifetime (plus skew); after that nobody needs it.
    /// </summary>
    private Task PublishRevocationAsync()
    {
        var tokens = options.Value.Tokens;
        var until = Session.RevokedAt!.Value + tokens.AccessTokenLifetime + tokens.ClockSkew;
        return until > time.GetUtcNow()
            ? RevocationFeed.ShardOf(GrainFactory, this.GetPrimaryKey()).Publish(this.GetPrimaryKey(), until)
            : Task.CompletedTask;
    }

    /// <summary>
    /// Retires the current token. Each retired token keeps a grace window of its own, not just the latest: a repeat
    /// of a refresh (an API node's attempt abandoned once another attempt answered, or a shop's retry) can arrive
    /// after the shop has already refreshed again with the successor, and must not read as theft.
    /// </summary>
    private void Retire(DateTimeOffset now, TimeSpan grace)
    {
        Session.EarlierRetired = [.. RetiredTokens().Where(r => now - r.RetiredAt <= grace).TakeLast(MaxEarlierRetired)];
        Session.PreviousDigest = Session.CurrentDigest;
        Session.RotatedAt = now;
        Session.UpdatedAt = now;
    }

    private bool IsRetiredWithin(byte[] secret, TimeSpan grace, DateTimeOffset now) =>
        grace > TimeSpan.Zero && RetiredTokens().Any(r => now - r.RetiredAt <= grace && RefreshTokens.Matches(secret, r.Digest));

    /// <summary>Every retired token the session still holds, oldest first: the earlier ones, then the previous one.</summary>
    private IEnumerable<RetiredDigest> RetiredTokens() =>
        Session.PreviousDigest is { } previous && Session.RotatedAt is { } retiredAt
            ? Session.EarlierRetired.Append(new RetiredDigest(previous, retiredAt))
            : Session.EarlierRetired;

    private bool IsActiveAt(DateTimeOffset now) =>
        state.RecordExists && Session.RevokedAt is null && now < Session.ExpiresAt;

    private SessionGrant Grant(byte[] secret) => new(
        this.GetPrimaryKey(), Session.SubjectId, Session.CustomerType, Session.ShopId, Session.ClientId,
        RefreshTokenFormat.Format(this.GetPrimaryKey(), secret), Session.ExpiresAt);
}
