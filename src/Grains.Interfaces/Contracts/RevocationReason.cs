namespace AuthCluster.Grains.Interfaces;

/// <summary>Why a session stopped working; kept for audit.</summary>
public enum RevocationReason
{
    Logout = 0,
    RefreshTokenReuse = 1,
    PasswordChanged = 2,
    SessionLimit = 3,
    Deleted = 4,

    /// <summary>Revoked by the API client through <c>POST /v1/oauth/revoke</c> (RFC 7009).</summary>
    RevokedByClient = 5,

    /// <summary>Revoked by an operator (<c>customers revoke-sessions</c>).</summary>
    RevokedByOperator = 6,

    /// <summary>The customer was disabled by an operator (<c>customers disable</c>).</summary>
    CustomerDisabled = 7,

    /// <summary>The customer was erased by an operator (<c>customers erase</c>).</summary>
    CustomerErased = 8,
}
