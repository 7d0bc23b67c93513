using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Events;

namespace Kubesharp.Scheduler.Framework;

/// <summary>
/// What a plugin may use beyond the cycle's snapshot (upstream's <c>framework.Handle</c>): the API client (binding,
/// preemption) and read-only listers of other kinds (namespaces, services, PodDisruptionBudgets, ...) served from
/// informers the scheduler runs beside its own.
/// </summary>
public sealed class PluginHandle(IKubernetes client, IObjectLister? objects = null, IEventRecorder? recorder = null)
{
    public IKubernetes Client { get; } = client;

    public IObjectLister Objects { get; } = objects ?? new StaticObjectLister();

    /// <summary>The scheduler's event recorder (preemption's <c>Preempted</c> events); null when events are not recorded.</summary>
    public IEventRecorder? Recorder { get; } = recorder;
}

/// <summary>Read-only access to cached objects of other kinds. A plugin declares each kind it reads when it is built.</summary>
public interface IObjectLister
{
    /// <summary>Declares that <typeparamref name="T"/> is read; call it in the plugin's constructor (before the informers start).</summary>
    void Require<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>The cached objects of <typeparamref name="T"/> in <paramref name="ns"/>, or in every namespace when null.</summary>
    IReadOnlyList<T> List<T>(string? ns = null)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    T? Get<T>(string? ns, string name)
        where T : class, IKubernetesObject<V1ObjectMeta>;
}

/// <summary>Listers over the scheduler's <see cref="SharedInformerFactory"/>: <see cref="Require{T}"/> registers the informer.</summary>
public sealed class InformerObjectLister(SharedInformerFactory informers) : IObjectLister
{
    private readonly HashSet<Type> _required = [];

    public void Require<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_required)
        {
            _required.Add(typeof(T));
        }

        informers.GetInformer<T>();
    }

    public IReadOnlyList<T> List<T>(string? ns = null)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        ns is null ? Informer<T>().Lister.List() : Informer<T>().Lister.List(ns);

    public T? Get<T>(string? ns, string name)
        where T : class, IKubernetesObject<V1ObjectMeta> => Informer<T>().Lister.Get(ns, name);

    private SharedIndexInformer<T> Informer<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_required)
        {
            if (!_required.Contains(typeof(T)))
            {
                throw new InvalidOperationException($"{typeof(T).Name} is read by a plugin that did not Require it");
            }
        }

        return informers.GetInformer<T>();
    }
}

/// <summary>A fixed set of objects (tests, and plugins built without informers).</summary>
public sealed class StaticObjectLister : IObjectLister
{
    private readonly List<IKubernetesObject<V1ObjectMeta>> _objects = [];

    public StaticObjectLister(params IEnumerable<IKubernetesObject<V1ObjectMeta>> objects) => _objects.AddRange(objects);

    public void Add(IKubernetesObject<V1ObjectMeta> obj) => _objects.Add(obj);

    public void Require<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
    }

    public IReadOnlyList<T> List<T>(string? ns = null)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        [.. _objects.OfType<T>().Where(o => ns is null || o.Metadata.NamespaceProperty == ns)];

    public T? Get<T>(string? ns, string name)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        _objects.OfType<T>().FirstOrDefault(o => o.Metadata.Name == name && (ns is null || o.Metadata.NamespaceProperty == ns));
}
