namespace AuthCluster.Grains.Interfaces;

/// <summary>
/// Marks a grain method that a caller may repeat after a failure whose outcome it cannot know (the silo died or
/// shut down mid-call): the grain makes a second execution harmless. Reads marked <c>[ReadOnly]</c> are safe
/// without this. What the marks mean for retries is decided in one place, <see cref="FailurePolicy"/>.
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
