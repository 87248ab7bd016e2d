namespace AuthCluster.Grains.Interfaces;

public enum RegisterOutcome
{
    Registered = 0,
    EmailTaken = 1,
}
