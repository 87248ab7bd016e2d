using System.Text;
using Orleans.Storage;

namespace AuthCluster.Silo.Storage;

/// <summary>
/// The identity of one row of <c>orleans_grain_state</c>, computed exactly as Orleans' ADO.NET grain storage (10.4.2)
/// computes it for a grain keyed by a Guid or by a string, with its default hasher: tools that write grain state
/// directly (the customer import) must land on the very rows the grains read. Tests hold this to rows the provider
/// itself wrote.
/// </summary>
/// <remarks>
/// The provider's rules: a Guid key goes into <c>grain_id_n0</c>/<c>grain_id_n1</c> as the two little-endian halves of
/// <see cref="Guid.ToByteArray()"/>, a string key into <c>grain_id_ext</c>; the id hash is the stable hash of the
/// key's bytes (Guid bytes, or UTF-8) in reverse order, the type hash the stable hash of the state name's UTF-8.
/// </remarks>
internal readonly record struct GrainStateRowId(int IdHash, long N0, long N1, int TypeHash, string StateName, string? Extension)
{
    private static readonly OrleansDefaultHasher Hasher = new();

    public static GrainStateRowId ForGuid(string stateName, Guid key)
    {
        var bytes = key.ToByteArray();
        var n0 = BitConverter.ToInt64(bytes, 0);
        var n1 = BitConverter.ToInt64(bytes, 8);
        Array.Reverse(bytes);
        return new(Hasher.Hash(bytes), n0, n1, TypeHashOf(stateName), stateName, null);
    }

    public static GrainStateRowId ForString(string stateName, string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        Array.Reverse(bytes);
        return new(Hasher.Hash(bytes), 0, 0, TypeHashOf(stateName), stateName, key);
    }

    /// <summary>The Guid key of a row written for a Guid-keyed grain.</summary>
    public static Guid GuidOf(long n0, long n1)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, n0);
        BitConverter.TryWriteBytes(bytes[8..], n1);
        return new Guid(bytes);
    }

    private static int TypeHashOf(string stateName) => Hasher.Hash(Encoding.UTF8.GetBytes(stateName));
}
