namespace AuthCluster.Grains.Interfaces;

/// <summary>Whether a session belongs to a registered customer or to a guest.</summary>
public enum CustomerType
{
    Registered = 0,
    Guest = 1,
}
