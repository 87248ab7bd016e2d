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
