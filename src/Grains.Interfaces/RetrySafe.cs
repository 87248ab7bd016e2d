namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Marks a grain method that a caller may repeat after a failure whose outcome it cannot know (the silo died or
/// shut down mid-call): the grain makes a second execution harmless. Reads marked <c>[ReadOnly]</c> are safe
/// without this. The API's grain-call retry filter retries only such methods; anything else (registration,
/// login) is answered with <c>503</c> instead, because a blind repeat could act twice.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class RetrySafeAttribute : Attribute
{
    /// <summary>
    /// The repeat is harmless only within the refresh-token reuse grace window (<c>Auth:Tokens:RefreshReuseGrace</c>):
    /// a later one would look like reuse and revoke the session. Retries stop well before the window closes.
    /// </summary>
    public bool WithinRefreshGrace { get; set; }
}

/// <summary>
/// A create call reached a grain whose record already exists. For a caller-chosen fresh id this means an earlier
/// attempt of the same call succeeded but its answer was lost: the caller must not reuse that attempt's result
/// (it never saw it) and may simply start again with a new id.
/// </summary>
[GenerateSerializer, Alias("AuthCluster.AlreadyCreatedException")]
public sealed class AlreadyCreatedException : Exception
{
    public AlreadyCreatedException()
        : base("The grain's record already exists; an earlier attempt of this create call succeeded.")
    {
    }

    public AlreadyCreatedException(string message)
        : base(message)
    {
    }

    public AlreadyCreatedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
