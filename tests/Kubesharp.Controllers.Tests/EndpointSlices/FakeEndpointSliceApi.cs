using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.EndpointSlices;
using ApiErrors = Kubesharp.Controllers.Common.ApiErrors;

namespace Kubesharp.Controllers.Tests.EndpointSlices;

/// <summary>
/// EndpointSlices held in memory as the API server would: names from generateName (a counter instead of random
/// characters), uid, resourceVersion, a generation that moves on every update. Calls recorded as "verb name".
/// </summary>
internal sealed class FakeEndpointSliceApi : IEndpointSliceApi
{
    private readonly ConcurrentQueue<string> _calls = new();
    private int _version = 100;
    private int _names;

    public ConcurrentDictionary<string, V1EndpointSlice> Stored { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>Thrown by the next write (then cleared).</summary>
    public Exception? FailNext { get; set; }

    public void ClearCalls() => _calls.Clear();

    public Task<V1EndpointSlice> CreateAsync(V1EndpointSlice slice, CancellationToken cancellationToken)
    {
        var copy = Copy(slice);
        copy.Metadata.Name = copy.Metadata.GenerateName + Interlocked.Increment(ref _names).ToString("D5", CultureInfo.InvariantCulture);
        _calls.Enqueue("create " + copy.Metadata.Name);
        ThrowIfFailing();
        copy.Metadata.Uid = "uid-" + copy.Metadata.Name;
        copy.Metadata.ResourceVersion = NextVersion();
        copy.Metadata.Generation = 1;
        Stored[ObjectKeys.For(copy)] = copy;
        return Task.FromResult(Copy(copy));
    }

    public Task<V1EndpointSlice> UpdateAsync(V1EndpointSlice slice, CancellationToken cancellationToken)
    {
        _calls.Enqueue("update " + slice.Metadata.Name);
        ThrowIfFailing();
        if (!Stored.TryGetValue(ObjectKeys.For(slice), out var stored))
        {
            throw ApiErrors.Status(404, "NotFound", $"endpointslices.discovery.k8s.io \"{slice.Metadata.Name}\" not found");
        }

        var copy = Copy(slice);
        copy.Metadata.Uid = stored.Metadata.Uid;
        copy.Metadata.ResourceVersion = NextVersion();
        copy.Metadata.Generation = (stored.Metadata.Generation ?? 0) + 1;
        Stored[ObjectKeys.For(copy)] = copy;
        return Task.FromResult(Copy(copy));
    }

    public Task DeleteAsync(string ns, string name, CancellationToken cancellationToken)
    {
        _calls.Enqueue("delete " + name);
        ThrowIfFailing();
        if (!Stored.TryRemove(ns + "/" + name, out _))
        {
            throw ApiErrors.Status(404, "NotFound", $"endpointslices.discovery.k8s.io \"{name}\" not found");
        }

        return Task.CompletedTask;
    }

    /// <summary>Puts a slice there as another writer would (kept as given, stamped like a create).</summary>
    public V1EndpointSlice Put(V1EndpointSlice slice)
    {
        var copy = Copy(slice);
        copy.Metadata.Uid ??= "uid-" + copy.Metadata.Name;
        copy.Metadata.ResourceVersion = NextVersion();
        copy.Metadata.Generation ??= 1;
        Stored[ObjectKeys.For(copy)] = copy;
        return copy;
    }

    public List<V1EndpointSlice> Slices => [.. Stored.Values.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal)];

    private void ThrowIfFailing()
    {
        if (FailNext is { } failure)
        {
            FailNext = null;
            throw failure;
        }
    }

    private string NextVersion() => Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);

    private static V1EndpointSlice Copy(V1EndpointSlice slice) => KubernetesJson.Deserialize<V1EndpointSlice>(KubernetesJson.Serialize(slice));
}
