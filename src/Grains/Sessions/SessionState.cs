using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Grains.Sessions;

/// <summary>A refresh-token family. Holds digests only; the rotation key derives successors (see <see cref="Domain.RefreshTokens"/>).</summary>
public sealed class SessionState
{
    /// <summary>The name of this state in storage (its <c>grain_type</c>), for <c>[PersistentState]</c> and for whatever reads the rows directly.</summary>
    public const string StateName = "session";

    public Guid SubjectId { get; set; }
    public CustomerType CustomerType { get; set; }
    public long ShopId { get; set; }
    public string ClientId { get; set; } = "";
    public string? Ip { get; set; }
    public string? UserAgent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public byte[] RotationKey { get; set; } = [];
    public byte[]? CurrentDigest { get; set; }

    /// <summary>The token retired by the latest rotation, at <see cref="RotatedAt"/>.</summary>
    public byte[]? PreviousDigest { get; set; }
    public DateTimeOffset? RotatedAt { get; set; }

    /// <summary>Tokens retired before <see cref="PreviousDigest"/> whose grace window was still open at the latest rotation, oldest first.</summary>
    public List<RetiredDigest> EarlierRetired { get; set; } = [];

    public DateTimeOffset? RevokedAt { get; set; }
    public RevocationReason? RevocationReason { get; set; }
}

/// <summary>A retired refresh token's digest and when its successor was minted.</summary>
public sealed record RetiredDigest(byte[] Digest, DateTimeOffset RetiredAt);
