namespace AuthCluster.Api.Endpoints;

/// <summary>
/// The ids a creating request is known by, picked here, once per HTTP request, before the first grain call: the new
/// session's id and, for register and guest login, the new customer's or guest's. Passing them down makes the call
/// retry-safe: a repeat after a silo loss addresses the same grains and gets the first attempt's outcome instead of
/// creating a second account or session. Never taken from the HTTP request: only this node, within this request,
/// can repeat an operation.
/// </summary>
internal readonly record struct Operation(Guid SubjectId, Guid SessionId)
{
    /// <summary>Fresh random ids (122 random bits each): unguessable, and never the same for two requests.</summary>
    public static Operation New() => new(Guid.NewGuid(), Guid.NewGuid());
}
