namespace AuthCluster.Grains.Interfaces;

/// <summary>Which sessions a logout revokes.</summary>
public enum LogoutScope
{
    /// <summary>Only the session of the presented token.</summary>
    Local = 0,
    /// <summary>Every session of the customer except the presented one.</summary>
    Others = 1,
    /// <summary>Every session of the customer.</summary>
    Global = 2,
}
