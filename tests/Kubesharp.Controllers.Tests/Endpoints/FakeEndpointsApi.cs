using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Endpoints;
using ApiErrors = Kubesharp.Controllers.Common.ApiErrors;

namespace Kubesharp.Controllers.Tests.Endpoints;

/// <summary>Endpoints held in memory as the API server would (uid and resourceVersion stamped); every call recorded as "verb ns/name".</summary>
internal sealed class FakeEndpointsApi : IEndpointsApi
{
    private readonly ConcurrentQueue<string> _calls = new();
    private int _version = 100;

    public ConcurrentDictionary<string, V1Endpoints> Stored { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>Thrown by the next write (then cleared).</summary>
    public Exception? FailNext { get; set; }

    public Task<V1Endpoints> CreateAsync(V1Endpoints endpoints, CancellationToken cancellationToken)
    {
        var key = Record("create", endpoints);
        var copy = Copy(endpoints);
        copy.Metadata.Uid = "uid-ep-" + copy.Metadata.Name;
        copy.Metadata.ResourceVersion = NextVersion();
        Stored[key] = copy;
        return Task.FromResult(Copy(copy));
    }

    public Task<V1Endpoints> UpdateAsync(V1Endpoints endpoints, CancellationToken cancellationToken)
    {
        var key = Record("update", endpoints);
        var copy = Copy(endpoints);
        copy.Metadata.ResourceVersion = NextVersion();
        Stored[key] = copy;
        return Task.FromResult(Copy(copy));
    }

    public Task DeleteAsync(string ns, string name, CancellationToken cancellationToken)
    {
        _calls.Enqueue($"delete {ns}/{name}");
        ThrowIfFailing();
        if (!Stored.TryRemove(ns + "/" + name, out _))
        {
            throw ApiErrors.Status(404, "NotFound", $"endpoints \"{name}\" not found");
        }

        return Task.CompletedTask;
    }

    public V1Endpoints Get(string name = "web") => Stored[ServiceObjects.Ns + "/" + name];

    private string Record(string verb, V1Endpoints endpoints)
    {
        var key = ObjectKeys.For(endpoints);
        _calls.Enqueue($"{verb} {key}");
        ThrowIfFailing();
        return key;
    }

    private void ThrowIfFailing()
    {
        if (FailNext is { } failure)
        {
            FailNext = null;
            throw failure;
        }
    }

    private string NextVersion() => Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);

    private static V1Endpoints Copy(V1Endpoints endpoints) => KubernetesJson.Deserialize<V1Endpoints>(KubernetesJson.Serialize(endpoints));
}
