using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Tests;

/// <summary>
/// The creating grain calls with fresh ids, as the API makes them once per request: for tests that are about
/// something else than repeating an operation.
/// </summary>
internal static class FreshOperationExtensions
{
    public static Task<RegisterResult> Register(this IEmailIndexGrain index, Profile profile, string password, ClientContext client) =>
        index.Register(profile, password, client, Guid.NewGuid(), Guid.NewGuid());

    public static Task<LoginResult> Login(this IEmailIndexGrain index, string password, ClientContext client) =>
        index.Login(password, client, Guid.NewGuid());
}
