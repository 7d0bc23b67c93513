using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.Namespace;

/// <summary>
/// Upstream's namespace-controller: a namespace with a deletionTimestamp is emptied, then released.
/// <list type="number">
/// <item>The API server marks the namespace on DELETE (deletionTimestamp, phase Terminating) and keeps it while
/// <c>spec.finalizers</c> has <c>kubernetes</c>. The informer queues it after <see cref="CoreControllerOptions.NamespaceDeletionDelay"/>.</item>
/// <item>A pass reads the namespace live, makes sure its phase is Terminating (through <c>/status</c>), deletes
/// all its content (<see cref="NamespaceContentDeleter"/>) and records the deletion conditions.</item>
/// <item>While content remains (pods in their grace period, objects held by finalizers) it looks again after
/// half the estimate plus a second; on errors it retries with back-off.</item>
/// <item>Once empty, it removes <c>kubernetes</c> from <c>spec.finalizers</c> through <c>/finalize</c>; the API
/// server deletes the namespace when no finalizer is left.</item>
/// </list>
/// </summary>
public sealed partial class NamespaceController : QueueController
{
    public const string ControllerName = "namespace-controller";

    /// <summary>The finalizer token this controller owns in <c>spec.finalizers</c>.</summary>
    public const string FinalizerToken = "kubernetes";

    private readonly SharedIndexInformer<V1Namespace> _namespaces;
    private readonly INamespaceApi _api;
    private readonly NamespaceContentDeleter _deleter;
    private readonly TimeSpan _delay;

    public NamespaceController(ControllerContext context)
        : this(context.Informers, new KubernetesNamespaceApi(context.Client), new KubernetesDynamicApi(context.Client), context.Core, context.Time, context.Loggers)
    {
    }

    internal NamespaceController(SharedInformerFactory informers, INamespaceApi api, IDynamicApi dynamic, CoreControllerOptions options, TimeProvider time, ILoggerFactory loggers)
        : base(ControllerName, time, loggers.CreateLogger(ControllerName))
    {
        _api = api;
        _deleter = new NamespaceContentDeleter(dynamic, api, time);
        _delay = options.NamespaceDeletionDelay;
        _namespaces = informers.GetInformer<V1Namespace>();
        _namespaces.AddEventHandler(new ResourceEventHandlerFuncs<V1Namespace>
        {
            AddFunc = EnqueueIfDeleting,
            UpdateFunc = (_, ns) => EnqueueIfDeleting(ns),
        });
    }

    protected override IEnumerable<ISharedInformer> Informers => [_namespaces];

    private void EnqueueIfDeleting(V1Namespace ns)
    {
        if (ns.Metadata?.DeletionTimestamp is null)
        {
            return;
        }

        // Upstream delays every namespace event so that HA API servers and last-moment creates settle.
        if (_delay > TimeSpan.Zero)
        {
            Queue.AddAfter(ns.Metadata.Name, _delay);
        }
        else
        {
            Enqueue(ns.Metadata.Name);
        }
    }

    internal Task<ReconcileResult> SyncAsync(string name, CancellationToken cancellationToken) => ReconcileAsync(name, cancellationToken);

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var ns = await _api.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (ns?.Metadata.DeletionTimestamp is null)
        {
            return ReconcileResult.Done;
        }

        ns = await EnsureTerminatingAsync(ns, cancellationToken).ConfigureAwait(false);
        if (ns?.Metadata.DeletionTimestamp is null || ns.Spec?.Finalizers is not { Count: > 0 } finalizers || !finalizers.Contains(FinalizerToken))
        {
            // Gone, no longer deleting, or already finalized by this controller.
            return ReconcileResult.Done;
        }

        var pass = await _deleter.DeleteAllContentAsync(ns, cancellationToken).ConfigureAwait(false);
        if (pass.Errors.Count > 0)
        {
            throw new InvalidOperationException($"namespace {key}: {string.Join("; ", pass.Errors)}");
        }

        if (pass.EstimateSeconds > 0)
        {
            Log.ContentRemaining(Logger, key, pass.EstimateSeconds);
            return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds((pass.EstimateSeconds / 2) + 1));
        }

        await FinalizeAsync(ns, cancellationToken).ConfigureAwait(false);
        Log.Finalized(Logger, key);
        return ReconcileResult.Done;
    }

    /// <summary>Upstream's updateNamespaceStatusFunc with retryOnConflictError: the phase is Terminating once the namespace is being deleted.</summary>
    private async Task<V1Namespace?> EnsureTerminatingAsync(V1Namespace ns, CancellationToken cancellationToken)
    {
        var uid = ns.Metadata.Uid;
        while (true)
        {
            if (ns.Status?.Phase == "Terminating")
            {
                return ns;
            }

            ns.Status ??= new V1NamespaceStatus();
            ns.Status.Phase = "Terminating";
            try
            {
                return await _api.UpdateStatusAsync(ns, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
                return null;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e))
            {
                var latest = await ReadAgainAsync(ns.Metadata.Name, uid, cancellationToken).ConfigureAwait(false);
                if (latest is null)
                {
                    return null;
                }

                ns = latest;
            }
        }
    }

    /// <summary>Upstream's finalizeNamespace with retryOnConflictError: <c>spec.finalizers</c> less this controller's token, sorted.</summary>
    private async Task FinalizeAsync(V1Namespace ns, CancellationToken cancellationToken)
    {
        var uid = ns.Metadata.Uid;
        while (true)
        {
            var request = new V1Namespace
            {
                ApiVersion = "v1",
                Kind = "Namespace",
                Metadata = ns.Metadata,
                Spec = new V1NamespaceSpec
                {
                    Finalizers = [.. (ns.Spec?.Finalizers ?? []).Where(f => f != FinalizerToken).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                },
            };
            try
            {
                await _api.FinalizeAsync(request, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e))
            {
                var latest = await ReadAgainAsync(ns.Metadata.Name, uid, cancellationToken).ConfigureAwait(false);
                if (latest is null)
                {
                    return;
                }

                ns = latest;
            }
        }
    }

    private async Task<V1Namespace?> ReadAgainAsync(string name, string uid, CancellationToken cancellationToken)
    {
        var latest = await _api.GetAsync(name, cancellationToken).ConfigureAwait(false);
        if (latest is not null && latest.Metadata.Uid != uid)
        {
            throw new InvalidOperationException("namespace uid has changed across retries");
        }

        return latest;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "namespace {Namespace}: content remains, looking again in about {Seconds} s")]
        public static partial void ContentRemaining(ILogger logger, string @namespace, long seconds);

        [LoggerMessage(Level = LogLevel.Information, Message = "namespace {Namespace}: empty; removed the kubernetes finalizer")]
        public static partial void Finalized(ILogger logger, string @namespace);
    }
}
