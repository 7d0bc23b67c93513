using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Rest;
using Kubesharp.Storage;

namespace Kubesharp.ApiServer.ServiceAllocation;

/// <summary>
/// One allocation bitmap kept in the store as upstream's <c>RangeAllocation</c> (<c>range</c>, base64 <c>data</c>)
/// under a key outside every resource's prefix, so that no list or watch of the API ever sees it.
/// </summary>
/// <remarks>
/// Every change is read, apply, compare-and-swap on the key's revision, again on a lost swap: several API
/// servers on one store never hand out one item twice, whatever their timing. Thread-safe (holds no state
/// between calls). A stored bitmap for another range (the flag changed) reads as empty; the repair at start
/// rewrites it from the Services before anything is served.
/// </remarks>
internal sealed class RangeAllocationStore(IStore store, string key, string range, int size, int offset)
{
    /// <summary>Upstream's keys (under its <c>/registry</c> prefix).</summary>
    public const string ServiceIpsKey = "/registry/ranges/serviceips";

    public const string NodePortsKey = "/registry/ranges/servicenodeports";

    private const int MaxAttempts = 1000;

    public string Key => key;

    public string Range => range;

    public AllocationBitmap Empty() => new(size, offset);

    /// <summary>
    /// Applies <paramref name="mutate"/> to the stored bitmap and writes the result if it changed, retrying on
    /// a lost compare-and-swap with the newer bitmap (so <paramref name="mutate"/> must depend on nothing but
    /// its argument). An exception from <paramref name="mutate"/> writes nothing. With
    /// <paramref name="dryRun"/> the result is computed and nothing is written.
    /// </summary>
    public async Task<T> UpdateAsync<T>(Func<AllocationBitmap, T> mutate, bool dryRun, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.GetAsync(key, 0, cancellationToken);
            var bitmap = Decode(current);
            var before = bitmap.Snapshot();
            var result = mutate(bitmap);
            var after = bitmap.Snapshot();
            if (dryRun || (current is not null && before.AsSpan().SequenceEqual(after)))
            {
                return result;
            }

            var written = await WriteAsync(bitmap, current, cancellationToken);
            if (written)
            {
                return result;
            }
        }

        throw StatusException.Internal($"could not update the allocation range {key}: too many concurrent writes");
    }

    /// <summary>The stored bitmap and the entry it came from (null when none was written yet).</summary>
    public async Task<(AllocationBitmap Bitmap, KeyValue? Entry)> ReadAsync(CancellationToken cancellationToken)
    {
        var current = await store.GetAsync(key, 0, cancellationToken);
        return (Decode(current), current);
    }

    /// <summary>Writes <paramref name="bitmap"/> over <paramref name="expected"/> (create when null); false on a lost swap.</summary>
    public async Task<bool> WriteAsync(AllocationBitmap bitmap, KeyValue? expected, CancellationToken cancellationToken)
    {
        var value = Encode(bitmap);
        var result = expected is null
            ? await store.CreateAsync(key, value, null, cancellationToken)
            : await store.UpdateAsync(key, value, expected.ModRevision, null, cancellationToken);
        return result.Status == WriteStatus.Ok;
    }

    private AllocationBitmap Decode(KeyValue? entry)
    {
        if (entry is null)
        {
            return Empty();
        }

        var obj = JsonNode.Parse(entry.Value)!.AsObject();
        if (obj["range"]?.GetValue<string>() != range)
        {
            return Empty();
        }

        var data = obj["data"]?.GetValue<string>() is { Length: > 0 } text ? Convert.FromBase64String(text) : [];
        return AllocationBitmap.Restore(size, offset, data);
    }

    private byte[] Encode(AllocationBitmap bitmap) => ObjectJson.ToStorage(new JsonObject
    {
        ["kind"] = "RangeAllocation",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["range"] = range,
        ["data"] = Convert.ToBase64String(bitmap.Snapshot()),
    });
}
