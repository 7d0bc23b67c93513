using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.ServiceAccounts;

/// <summary>
/// Upstream's serviceaccount-controller: every active namespace has the <c>default</c> ServiceAccount (pods
/// without <c>serviceAccountName</c> run as it, and the ServiceAccount admission refuses pods whose account is
/// missing). Keyed by namespace name; a namespace added or updated, or an account deleted, queues its namespace.
/// A namespace that is not Active (being deleted) gets nothing: creating would only race the namespace controller.
/// </summary>
public sealed partial class ServiceAccountsController : QueueController
{
    public const string ControllerName = "serviceaccount-controller";

    /// <summary>The accounts every namespace gets (upstream's <c>serviceAccountsToEnsure</c>).</summary>
    public static readonly IReadOnlyList<string> Ensured = ["default"];

    private readonly SharedIndexInformer<V1Namespace> _namespaces;
    private readonly SharedIndexInformer<V1ServiceAccount> _accounts;
    private readonly IServiceAccountApi _api;

    public ServiceAccountsController(ControllerContext context)
        : this(context.Informers, new KubernetesServiceAccountApi(context.Client), context.Time, context.Loggers)
    {
    }

    internal ServiceAccountsController(SharedInformerFactory informers, IServiceAccountApi api, TimeProvider time, ILoggerFactory loggers)
        : base(ControllerName, time, loggers.CreateLogger(ControllerName))
    {
        _api = api;
        _namespaces = informers.GetInformer<V1Namespace>();
        _accounts = informers.GetInformer<V1ServiceAccount>();
        _namespaces.AddEventHandler(new ResourceEventHandlerFuncs<V1Namespace>
        {
            AddFunc = Enqueue,
            UpdateFunc = (_, ns) => Enqueue(ns),
        });
        _accounts.AddEventHandler(new ResourceEventHandlerFuncs<V1ServiceAccount>
        {
            DeleteFunc = (account, _) =>
            {
                if (Ensured.Contains(account.Metadata?.Name) && account.Metadata?.NamespaceProperty is { Length: > 0 } ns)
                {
                    Enqueue(ns);
                }
            },
        });
    }

    protected override IEnumerable<ISharedInformer> Informers => [_namespaces, _accounts];

    /// <summary>One reconcile of <paramref name="key"/>, outside the work queue (tests).</summary>
    internal Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken) => ReconcileAsync(key, cancellationToken);

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var ns = _namespaces.Lister.Get(key);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || ns.Status?.Phase != "Active")
        {
            return ReconcileResult.Done;
        }

        foreach (var name in Ensured)
        {
            if (_accounts.Lister.Get(key, name) is not null)
            {
                continue;
            }

            var outcome = await _api.CreateAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = key } }, cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case WriteOutcome.Done:
                    Log.Created(Logger, key, name);
                    break;
                case WriteOutcome.Conflict:
                    throw new InvalidOperationException($"creating serviceaccount {key}/{name}: conflict");
                default:
                    // Exists already (the cache lags), or the namespace went or is going: nothing to do.
                    break;
            }
        }

        return ReconcileResult.Done;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "created serviceaccount {Namespace}/{Name}")]
        public static partial void Created(ILogger logger, string @namespace, string name);
    }
}
