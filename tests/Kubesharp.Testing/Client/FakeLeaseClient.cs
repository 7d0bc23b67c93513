using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Client.LeaderElection;

namespace Kubesharp.Testing.Client;

/// <summary>
/// An in-memory <see cref="ILeaseClient"/> with the API's semantics: resourceVersion bumped on every
/// write, create refused when the lease exists, replace a compare-and-swap on the resourceVersion.
/// Callers get copies, never the stored object. <see cref="Failing"/> makes every call throw (an
/// unreachable API server); <see cref="BeforeNextReplace"/> slips a competing write in. Thread-safe.
/// </summary>
public sealed class FakeLeaseClient : ILeaseClient
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string, string), string> _leases = [];
    private readonly Queue<Action<FakeLeaseClient>> _beforeReplace = new();
    private long _revision;

    /// <summary>When true, every call throws <see cref="HttpRequestException"/>.</summary>
    public bool Failing { get; set; }

    public int Writes { get; private set; }

    public V1Lease? Get(string ns, string name)
    {
        lock (_lock)
        {
            return _leases.TryGetValue((ns, name), out var json) ? KubernetesJson.Deserialize<V1Lease>(json) : null;
        }
    }

    /// <summary>Runs <paramref name="competing"/> just before the next replace is decided.</summary>
    public void BeforeNextReplace(Action<FakeLeaseClient> competing)
    {
        lock (_lock)
        {
            _beforeReplace.Enqueue(competing);
        }
    }

    /// <summary>Writes the lease unconditionally (another party's write).</summary>
    public V1Lease Put(V1Lease lease)
    {
        lock (_lock)
        {
            return StoreLocked(lease);
        }
    }

    public Task<V1Lease?> GetAsync(string ns, string name, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return Task.FromResult(Get(ns, name));
    }

    public Task<V1Lease?> CreateAsync(V1Lease lease, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_lock)
        {
            return Task.FromResult(_leases.ContainsKey(KeyOf(lease)) ? null : StoreLocked(lease));
        }
    }

    public Task<V1Lease?> ReplaceAsync(V1Lease lease, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        Action<FakeLeaseClient>? competing = null;
        lock (_lock)
        {
            _beforeReplace.TryDequeue(out competing);
        }

        competing?.Invoke(this);
        lock (_lock)
        {
            if (!_leases.TryGetValue(KeyOf(lease), out var json))
            {
                return Task.FromResult<V1Lease?>(null);
            }

            var stored = KubernetesJson.Deserialize<V1Lease>(json);
            return Task.FromResult(stored.Metadata.ResourceVersion != lease.Metadata?.ResourceVersion ? null : StoreLocked(lease));
        }
    }

    private V1Lease StoreLocked(V1Lease lease)
    {
        var copy = KubernetesJson.Deserialize<V1Lease>(KubernetesJson.Serialize(lease));
        copy.Metadata.ResourceVersion = (++_revision).ToString(CultureInfo.InvariantCulture);
        var json = KubernetesJson.Serialize(copy);
        _leases[KeyOf(copy)] = json;
        Writes++;
        return KubernetesJson.Deserialize<V1Lease>(json);
    }

    private static (string, string) KeyOf(V1Lease lease) => (lease.Metadata.NamespaceProperty, lease.Metadata.Name);

    private void ThrowIfFailing()
    {
        if (Failing)
        {
            throw new HttpRequestException("fake: the API server is unreachable");
        }
    }
}
