namespace AuthCluster.Grains.Interfaces;

public enum PasswordResetOutcome
{
    Success = 0,
    /// <summary>Unknown, expired, used or superseded hash.</summary>
    InvalidHash = 1,

    /// <summary>The new password contains the customer's name or email; the hash stays usable.</summary>
    PasswordRejected = 2,
}
