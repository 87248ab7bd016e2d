namespace AuthCluster.Grains.Interfaces;

public enum PasswordResetOutcome
{
    Success = 0,
    /// <summary>Unknown, expired, used or superseded hash.</summary>
    InvalidHash = 1,
}
