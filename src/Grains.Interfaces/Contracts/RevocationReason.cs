namespace AuthCluster.Grains.Interfaces;

/// <summary>Why a session stopped working; kept for audit.</summary>
public enum RevocationReason
{
    Logout = 0,
    RefreshTokenReuse = 1,
    PasswordChanged = 2,
    SessionLimit = 3,
    Deleted = 4,
}
