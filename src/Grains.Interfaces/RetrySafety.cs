namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Whether a grain method may be sent again after a failure that leaves unknown whether it ran. Read from the
/// interface method by <see cref="FailurePolicy.RetrySafetyOf"/>, which is the only place that interprets the markers.
/// </summary>
public enum RetrySafety
{
    /// <summary>
    /// A repeat could act twice (registration, login): sent again only when Orleans proves it never ran
    /// (<see cref="FailurePolicy.IsUndelivered"/>).
    /// </summary>
    OnlyIfUndelivered,

    /// <summary>Reads (<c>[ReadOnly]</c>) and methods marked <see cref="RetrySafeAttribute">[RetrySafe]</see>.</summary>
    Repeatable,

    /// <summary>
    /// Marked <c>[RetrySafe(WithinRefreshGrace = true)]</c> (refresh): a repeat is the same call only while the
    /// session grain's reuse grace window is open.
    /// </summary>
    WithinRefreshGrace,
}
