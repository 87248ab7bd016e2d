namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// A create call reached a grain whose record already exists. For a caller-chosen fresh id this means an earlier
/// attempt of the same call succeeded but its answer was lost: the caller must not reuse that attempt's result
/// (it never saw it) and may simply start again with a new id. <see cref="FailurePolicy"/> classes it
/// <see cref="FailureKind.Unavailable"/>, so the API answers <c>503</c> and the shop starts over.
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
