using k8s.Models;

namespace Kubesharp.Controllers.EndpointSlices;

/// <summary>
/// Upstream's <c>EndpointSliceTracker</c>: the generation of every slice this controller last wrote, per service
/// (by the slices' service-name label), and the slices it deleted. It tells whether a slice event is news (not
/// one of its own writes coming back) and whether the cache is behind its writes (<see cref="StaleSlices"/>).
/// Thread-safe.
/// </summary>
internal sealed class EndpointSliceTracker
{
    private const long DeletionExpected = -1;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, long>> _generations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _serviceUids = new(StringComparer.Ordinal);

    /// <summary>Whether a generation (or an expected deletion) is tracked for the slice.</summary>
    public bool Has(V1EndpointSlice slice)
    {
        lock (_lock)
        {
            return _generations.TryGetValue(ServiceKey(slice), out var slices) && slices.ContainsKey(slice.Metadata.Uid ?? "");
        }
    }

    /// <summary>True when the slice is not tracked, or newer than what this controller wrote.</summary>
    public bool ShouldSync(V1EndpointSlice slice)
    {
        lock (_lock)
        {
            return !_generations.TryGetValue(ServiceKey(slice), out var slices)
                || !slices.TryGetValue(slice.Metadata.Uid ?? "", out var generation)
                || Generation(slice) > generation;
        }
    }

    /// <summary>
    /// True when the cache looks behind this controller's writes for the service: a listed slice older than the
    /// one written, a listed slice that was deleted, or a written slice not listed. Tracking for an earlier service
    /// of the same name (another UID) is dropped first: those writes say nothing of the new service.
    /// </summary>
    public bool StaleSlices(V1Service service, IReadOnlyList<V1EndpointSlice> slices)
    {
        var key = service.Metadata.NamespaceProperty + "/" + service.Metadata.Name;
        lock (_lock)
        {
            var uid = service.Metadata.Uid ?? "";
            if (_serviceUids.TryGetValue(key, out var tracked) && tracked.Length > 0 && uid.Length > 0 && tracked != uid)
            {
                _generations.Remove(key);
            }

            _serviceUids[key] = uid;
            if (!_generations.TryGetValue(key, out var generations))
            {
                return false;
            }

            var provided = new HashSet<string>(StringComparer.Ordinal);
            foreach (var slice in slices)
            {
                var sliceUid = slice.Metadata.Uid ?? "";
                provided.Add(sliceUid);
                if (generations.TryGetValue(sliceUid, out var generation) && (generation == DeletionExpected || generation > Generation(slice)))
                {
                    return true;
                }
            }

            return generations.Any(kv => kv.Value != DeletionExpected && !provided.Contains(kv.Key));
        }
    }

    /// <summary>Records the generation of a slice this controller just created or updated.</summary>
    public void Update(V1EndpointSlice slice) => Set(slice, Generation(slice));

    /// <summary>Records that this controller deleted the slice.</summary>
    public void ExpectDeletion(V1EndpointSlice slice) => Set(slice, DeletionExpected);

    /// <summary>Forgets a deleted slice; false when its deletion was not this controller's doing (the service needs a sync).</summary>
    public bool HandleDeletion(V1EndpointSlice slice)
    {
        lock (_lock)
        {
            if (_generations.TryGetValue(ServiceKey(slice), out var slices) && slices.Remove(slice.Metadata.Uid ?? "", out var generation))
            {
                return generation == DeletionExpected;
            }

            return true;
        }
    }

    public void DeleteService(string ns, string name)
    {
        lock (_lock)
        {
            _generations.Remove(ns + "/" + name);
            _serviceUids.Remove(ns + "/" + name);
        }
    }

    private void Set(V1EndpointSlice slice, long generation)
    {
        lock (_lock)
        {
            var key = ServiceKey(slice);
            if (!_generations.TryGetValue(key, out var slices))
            {
                _generations[key] = slices = new Dictionary<string, long>(StringComparer.Ordinal);
            }

            slices[slice.Metadata.Uid ?? ""] = generation;
        }
    }

    private static long Generation(V1EndpointSlice slice) => slice.Metadata.Generation ?? 0;

    /// <summary><c>namespace/service</c> from the slice's service-name label.</summary>
    public static string ServiceKey(V1EndpointSlice slice) =>
        slice.Metadata.NamespaceProperty + "/" + EndpointSliceLabels.ServiceOf(slice);
}
