using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>A registered customer, keyed by customer id.</summary>
[Alias("AuthCluster.ICustomerGrain")]
public interface ICustomerGrain : ISessionOwnerGrain
{
    /// <summary>
    /// Creates the account and its first session <paramref name="sessionId"/>. Called by the email index, once per
    /// registration; a repeat of the same registration (same ids, profile and password) returns the same grant.
    /// </summary>
    [Alias("Create")]
    Task<SessionGrant> Create(long shopId, Profile profile, string password, ClientContext client, Guid sessionId);

    /// <summary>
    /// Checks the password and starts session <paramref name="sessionId"/>; null when the password is wrong. A repeat
    /// with the same session id checks the password again and returns the same session's grant.
    /// </summary>
    [Alias("Login")]
    Task<SessionGrant?> Login(string password, ClientContext client, Guid sessionId);

    /// <summary>
    /// Mints a reset hash that supersedes any earlier one and hands its email to delivery. One-way: the
    /// email index does not wait, so a request for an existing account costs it as much as one for none.
    /// </summary>
    [OneWay, Alias("StartPasswordReset")]
    Task StartPasswordReset(PasswordResetRequest request);

    /// <summary>
    /// Sets the new password when <paramref name="hashKey"/> is the current reset hash (no newer request or password
    /// change replaced it); revokes every session and starts a new one. Non-reentrant, so of two concurrent uses of
    /// one hash exactly one wins. Called by the reset grain, which has checked that the hash is live.
    /// </summary>
    [Alias("CompletePasswordReset")]
    Task<PasswordResetResult> CompletePasswordReset(string hashKey, string password, ClientContext client);

    /// <summary>
    /// Why <paramref name="password"/> (normalized) may not become this customer's password because it contains
    /// their name or email (<see cref="Formats.PasswordPolicy.CheckContext"/>), or null when it may.
    /// </summary>
    [ReadOnly, Alias("CheckNewPassword")]
    Task<string?> CheckNewPassword(string password);

    // Operator commands (the admin CLI). Each writes a security event naming the customer, its shop and the actor.

    /// <summary>All data held about the customer, with each listed session's state; null when there is no such customer.</summary>
    [ReadOnly, Alias("Describe")]
    Task<CustomerRecord?> Describe(string actor);

    /// <summary>Revokes every session at once, as a global logout does; the number revoked, or null when there is no such customer.</summary>
    [Alias("RevokeAllSessions")]
    Task<int?> RevokeAllSessions(string actor);

    /// <summary>
    /// Disables (or, with false, enables) login: a disabled customer's login fails exactly as a wrong password does,
    /// every session and any outstanding reset hash are revoked, and no new reset starts. Enabling restores login
    /// only. False when there is no such customer.
    /// </summary>
    [Alias("SetDisabled")]
    Task<bool> SetDisabled(bool disabled, string actor);

    /// <summary>
    /// Removes the customer: profile, password hash, sessions (their rows too) and any outstanding reset with its
    /// queued email. False when there was no such customer. Called by the email index, which then releases the address.
    /// </summary>
    [Alias("Erase")]
    Task<bool> Erase(string actor);
}
