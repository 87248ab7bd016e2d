using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Api.Tokens;

/// <summary>The grain that owns a session's subject: revocations go through it so that its session list stays right.</summary>
public static class SessionOwners
{
    public static ISessionOwnerGrain Of(IGrainFactory grains, Guid subjectId, CustomerType type) => type == CustomerType.Guest
        ? grains.GetGrain<IGuestGrain>(subjectId)
        : grains.GetGrain<ICustomerGrain>(subjectId);
}
