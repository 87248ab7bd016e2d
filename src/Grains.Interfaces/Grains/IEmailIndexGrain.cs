using Orleans.Concurrency;

namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// One per shop and normalized email (key <c>{shop_id}:{email}</c>). Serializes registration
/// (first reservation wins) and keeps the failed-login throttle, whether or not an account exists.
/// </summary>
[Alias("AuthCluster.IEmailIndexGrain")]
public interface IEmailIndexGrain : IGrainWithStringKey
{
    /// <summary>
    /// Registers the address for a new customer <paramref name="customerId"/> with first session
    /// <paramref name="sessionId"/>, both picked afresh by the caller for this registration. Retry-safe: a repeat with
    /// the same ids and the same request answers the first attempt's outcome (the same grant) and creates nothing
    /// more; a registration with other ids of a taken address is <see cref="RegisterOutcome.EmailTaken"/>.
    /// </summary>
    [RetrySafe, Alias("Register")]
    Task<RegisterResult> Register(Profile profile, string password, ClientContext client, Guid customerId, Guid sessionId);

    /// <summary>
    /// Checks the password and starts session <paramref name="sessionId"/>, picked afresh by the caller for this
    /// login. Retry-safe: a repeat with the same session id (and password) gets the same session, never a second one,
    /// and a repeat of the last failed login does not count the failure twice.
    /// </summary>
    [RetrySafe, Alias("Login")]
    Task<LoginResult> Login(string password, ClientContext client, Guid sessionId);

    /// <summary>
    /// Counts the request against the per-account limit and, when an account exists and the limit allows,
    /// hands it to the customer without waiting for it: the caller's latency is the same either way.
    /// </summary>
    [Alias("RequestPasswordReset")]
    Task RequestPasswordReset(PasswordResetRequest request);

    /// <summary>
    /// Forgets the failed logins: the owner proved control of the mailbox by completing a password reset, so an
    /// attacker's guesses must not keep them out. Called by the reset grain.
    /// </summary>
    [Alias("ClearLoginThrottle")]
    Task ClearLoginThrottle();

    /// <summary>The account this address names and its failed-login and reset-request counts.</summary>
    [ReadOnly, Alias("Describe")]
    Task<EmailIndexRecord> Describe();

    /// <summary>
    /// Erases the customer (<see cref="ICustomerGrain.Erase"/>), then forgets this address's reservation and counts so
    /// that it can be registered again; an address already reserved by another customer keeps that reservation.
    /// Safe to repeat. False when the customer did not exist (any index entry of theirs is released all the same).
    /// </summary>
    [Alias("EraseCustomer")]
    Task<bool> EraseCustomer(Guid customerId, string actor);
}
