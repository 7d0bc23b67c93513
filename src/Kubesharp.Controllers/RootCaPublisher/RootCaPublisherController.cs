using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.RootCaPublisher;

/// <summary>
/// Upstream's root-ca-certificate-publisher-controller: every namespace holds the ConfigMap
/// <c>kube-root-ca.crt</c> whose <c>ca.crt</c> is the cluster CA bundle, with upstream's description
/// annotation; a copy that is changed is put back, one that is deleted is created again. Pods read it through
/// the projected service account volume the ServiceAccount admission adds. Keyed by namespace name.
/// <para>
/// Unlike upstream, which caches every ConfigMap of the cluster, this watches only ConfigMaps named
/// <c>kube-root-ca.crt</c> (a field selector): the cache is one object per namespace.
/// </para>
/// </summary>
public sealed partial class RootCaPublisherController : QueueController
{
    public const string ControllerName = "root-ca-certificate-publisher-controller";
    public const string ConfigMapName = "kube-root-ca.crt";
    public const string DataKey = "ca.crt";
    public const string DescriptionAnnotation = "kubernetes.io/description";

    public const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. "
        + "No other usage is guaranteed across distributions of Kubernetes clusters.";

    private readonly SharedIndexInformer<V1Namespace> _namespaces;
    private readonly SharedIndexInformer<V1ConfigMap> _configMaps;
    private readonly IConfigMapApi _api;
    private readonly string _rootCa;

    public RootCaPublisherController(ControllerContext context)
        : this(context.Informers, new KubernetesConfigMapApi(context.Client), context.RootCaPem ?? throw new InvalidOperationException($"{ControllerName} needs the cluster CA: the controller manager's kubeconfig has no certificate-authority data"), context.Time, context.Loggers)
    {
    }

    internal RootCaPublisherController(SharedInformerFactory informers, IConfigMapApi api, string rootCaPem, TimeProvider time, ILoggerFactory loggers)
        : base(ControllerName, time, loggers.CreateLogger(ControllerName))
    {
        _api = api;
        _rootCa = rootCaPem;
        _namespaces = informers.GetInformer<V1Namespace>();
        _configMaps = informers.GetInformer<V1ConfigMap>(fieldSelector: "metadata.name=" + ConfigMapName);
        _namespaces.AddEventHandler(new ResourceEventHandlerFuncs<V1Namespace>
        {
            AddFunc = Enqueue,
            UpdateFunc = (_, ns) =>
            {
                if (ns.Status?.Phase == "Active")
                {
                    Enqueue(ns);
                }
            },
        });
        _configMaps.AddEventHandler(new ResourceEventHandlerFuncs<V1ConfigMap>
        {
            UpdateFunc = (_, cm) => EnqueueNamespaceOf(cm),
            DeleteFunc = (cm, _) => EnqueueNamespaceOf(cm),
        });
    }

    protected override IEnumerable<ISharedInformer> Informers => [_namespaces, _configMaps];

    private void EnqueueNamespaceOf(V1ConfigMap cm)
    {
        if (cm.Metadata?.Name == ConfigMapName && cm.Metadata.NamespaceProperty is { Length: > 0 } ns)
        {
            Enqueue(ns);
        }
    }

    /// <summary>One reconcile of <paramref name="key"/>, outside the work queue (tests).</summary>
    internal Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken) => ReconcileAsync(key, cancellationToken);

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var ns = _namespaces.Lister.Get(key);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileResult.Done;
        }

        var cm = _configMaps.Lister.Get(key, ConfigMapName);
        if (cm is null)
        {
            var created = new V1ConfigMap
            {
                ApiVersion = "v1",
                Kind = "ConfigMap",
                Metadata = new V1ObjectMeta
                {
                    Name = ConfigMapName,
                    NamespaceProperty = key,
                    Annotations = new Dictionary<string, string> { [DescriptionAnnotation] = Description },
                },
                Data = new Dictionary<string, string> { [DataKey] = _rootCa },
            };
            // Upstream does not retry a create into a namespace that is gone or terminating.
            switch (await _api.CreateAsync(created, cancellationToken).ConfigureAwait(false))
            {
                case WriteOutcome.Done:
                    Log.Published(Logger, key);
                    return ReconcileResult.Done;
                case WriteOutcome.AlreadyExists or WriteOutcome.Conflict:
                    throw new InvalidOperationException($"configmap {key}/{ConfigMapName} exists but is not in the cache yet");
                default:
                    return ReconcileResult.Done;
            }
        }

        if (IsCurrent(cm))
        {
            return ReconcileResult.Done;
        }

        // The cache's object is shared: change a copy.
        var copy = KubernetesJson.Deserialize<V1ConfigMap>(KubernetesJson.Serialize(cm));
        copy.Data = new Dictionary<string, string> { [DataKey] = _rootCa };
        copy.Metadata.Annotations ??= new Dictionary<string, string>();
        copy.Metadata.Annotations[DescriptionAnnotation] = Description;
        switch (await _api.UpdateAsync(copy, cancellationToken).ConfigureAwait(false))
        {
            case WriteOutcome.Done:
                Log.Restored(Logger, key);
                return ReconcileResult.Done;
            case WriteOutcome.Conflict:
                throw new InvalidOperationException($"configmap {key}/{ConfigMapName} changed while being restored");
            default:
                // Deleted meanwhile: its delete event queues the namespace again.
                return ReconcileResult.Done;
        }
    }

    // Upstream: the data must be exactly {ca.crt: CA} and the description annotation non-empty.
    private bool IsCurrent(V1ConfigMap cm) =>
        cm.Data is { Count: 1 } data && data.TryGetValue(DataKey, out var ca) && ca == _rootCa
        && cm.Metadata.Annotations?.TryGetValue(DescriptionAnnotation, out var description) == true && description.Length > 0;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "published configmap {Namespace}/kube-root-ca.crt")]
        public static partial void Published(ILogger logger, string @namespace);

        [LoggerMessage(Level = LogLevel.Information, Message = "restored configmap {Namespace}/kube-root-ca.crt")]
        public static partial void Restored(ILogger logger, string @namespace);
    }
}
