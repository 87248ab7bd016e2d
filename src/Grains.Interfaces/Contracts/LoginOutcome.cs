namespace AuthCluster.Grains.Interfaces;

public enum LoginOutcome
{
    Success = 0,
    InvalidCredentials = 1,
    Throttled = 2,
}
