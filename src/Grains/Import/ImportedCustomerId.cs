using System.Security.Cryptography;
using System.Text;

namespace AuthCluster.Grains.Import;

/// <summary>
/// The customer id an import gives an account whose line names none: a name-based UUID (RFC 9562 version 8 over
/// SHA-256) of the email index key. The same shop and email always yield the same id, so a re-run or the resumption
/// of an interrupted import addresses the rows the first run wrote instead of creating new ones; registration's
/// random (version 4) ids can never collide with it.
/// </summary>
public static class ImportedCustomerId
{
    /// <summary>Fixed for ever: changing it would make a re-run create a second account for every line.</summary>
    private const string Namespace = "authcluster/customer-import/v1\n";

    public static Guid For(string emailIndexKey)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(Namespace + emailIndexKey), digest);
        var bytes = digest[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
