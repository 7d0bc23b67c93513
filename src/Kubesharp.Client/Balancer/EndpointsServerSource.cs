using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Balancer;

/// <summary>
/// Teaches a balancer the API servers it was not told about, as k3s's agent does: it lists and watches the
/// <c>default/kubernetes</c> Endpoints (every API server writes its address there, upstream's lease endpoint
/// reconciler) and hands every <c>address:port</c> listed to <see cref="ApiServerBalancer.UpdateServers"/> after each
/// list and each change. A deletion or an empty object changes nothing (the balancer keeps what it knew). The node
/// identity may list and watch Endpoints (kube-proxy's role, which kubesharp binds to every node). Runs a
/// <see cref="Reflector{T}"/> (its retries and back-off) until disposed.
/// </summary>
public sealed class EndpointsServerSource : IAsyncDisposable
{
    public const string Namespace = "default";
    public const string Name = "kubernetes";

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private EndpointsServerSource(ListWatch<V1Endpoints> listWatch, ApiServerBalancer balancer, TimeProvider time, ILogger logger)
    {
        var reflector = new Reflector<V1Endpoints>(listWatch, new Sink(balancer), new ReflectorOptions { Name = "v1/Endpoints default/kubernetes" }, time, new Random(), logger);
        _loop = Task.Run(() => reflector.RunAsync(_stop.Token));
    }

    /// <summary>Starts watching through <paramref name="client"/> (which itself goes through the balancer).</summary>
    public static EndpointsServerSource Start(Kubernetes client, ApiServerBalancer balancer, ILogger logger, TimeProvider? time = null) =>
        new(KubernetesListWatch.Create<V1Endpoints>(client, Namespace, fieldSelector: "metadata.name=" + Name), balancer, time ?? TimeProvider.System, logger);

    /// <summary>Starts with any list and watch (tests).</summary>
    public static EndpointsServerSource Start(ListWatch<V1Endpoints> listWatch, ApiServerBalancer balancer, ILogger logger, TimeProvider? time = null) =>
        new(listWatch, balancer, time ?? TimeProvider.System, logger);

    /// <summary>Every <c>ip:port</c> of the object, in order: each address of a subset with each of its ports.</summary>
    public static IReadOnlyList<string> Addresses(V1Endpoints endpoints) =>
        (endpoints.Subsets ?? [])
            .SelectMany(s => (s.Addresses ?? []).SelectMany(a => (s.Ports ?? []).Select(p => (a.Ip, p.Port))))
            .Where(x => !string.IsNullOrEmpty(x.Ip) && x.Port > 0)
            .Select(x => ServerAddress.Join(x.Ip, x.Port))
            .Distinct(StringComparer.Ordinal)
            .ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class Sink(ApiServerBalancer balancer) : IReflectorStore<V1Endpoints>
    {
        public void Replace(IReadOnlyList<V1Endpoints> items, string resourceVersion)
        {
            foreach (var item in items.Where(IsKubernetes))
            {
                Update(item);
            }
        }

        public void Add(V1Endpoints obj) => Update(obj);

        public void Update(V1Endpoints obj)
        {
            if (IsKubernetes(obj))
            {
                balancer.UpdateServers(Addresses(obj));
            }
        }

        public void Delete(V1Endpoints obj)
        {
        }

        public void Resync()
        {
        }

        private static bool IsKubernetes(V1Endpoints e) => e.Metadata?.Name == Name && e.Metadata.NamespaceProperty is Namespace or null;
    }
}
