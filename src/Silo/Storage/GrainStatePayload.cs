using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace AuthCluster.Silo.Storage;

/// <summary>
/// Grain state in and out of the <c>payload</c> column, with the serializer the silos register
/// (<c>UseSystemTextJsonGrainStorageSerializer</c>) and its default options. The silo adds converters for IP
/// addresses and grain references, types that no state read or written here contains.
/// </summary>
internal static class GrainStatePayload
{
    private static readonly SystemTextJsonGrainStorageSerializer Serializer =
        new(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));

    public static byte[] Serialize<T>(T state) => Serializer.Serialize(state).ToArray();

    public static T Deserialize<T>(byte[] payload) =>
        Serializer.Deserialize<T>(new BinaryData(payload)) ?? throw new InvalidDataException($"A stored {typeof(T).Name} is JSON null.");
}
