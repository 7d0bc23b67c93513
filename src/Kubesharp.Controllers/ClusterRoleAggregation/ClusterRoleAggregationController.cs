using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.ClusterRoleAggregation;

/// <summary>
/// Upstream's clusterrole-aggregation-controller: a ClusterRole with an <c>aggregationRule</c> gets the union of
/// the rules of the ClusterRoles its selectors match (<see cref="Api.Auth.ClusterRoleAggregation"/>), written when it differs.
/// Keyed by ClusterRole name; any ClusterRole change queues every aggregated role, since any of them may select
/// it (a chain such as edit into admin converges over successive syncs).
/// Writes are updates at the cached resourceVersion: upstream uses server-side apply first, which this API server
/// does not serve, and falls back to the same update.
/// </summary>
public sealed partial class ClusterRoleAggregationController : QueueController
{
    public const string ControllerName = "clusterrole-aggregation-controller";

    private readonly SharedIndexInformer<V1ClusterRole> _roles;
    private readonly IClusterRoleApi _api;

    public ClusterRoleAggregationController(ControllerContext context)
        : this(context.Informers, new KubernetesClusterRoleApi(context.Client), context.Time, context.Loggers)
    {
    }

    internal ClusterRoleAggregationController(SharedInformerFactory informers, IClusterRoleApi api, TimeProvider time, ILoggerFactory loggers)
        : base(ControllerName, time, loggers.CreateLogger(ControllerName))
    {
        _api = api;
        _roles = informers.GetInformer<V1ClusterRole>();
        _roles.AddEventHandler(new ResourceEventHandlerFuncs<V1ClusterRole>
        {
            AddFunc = _ => EnqueueAggregated(),
            UpdateFunc = (_, _) => EnqueueAggregated(),
            DeleteFunc = (_, _) => EnqueueAggregated(),
        });
    }

    protected override IEnumerable<ISharedInformer> Informers => [_roles];

    private void EnqueueAggregated()
    {
        foreach (var role in _roles.Lister.List())
        {
            if (role.AggregationRule is not null)
            {
                Enqueue(role);
            }
        }
    }

    /// <summary>One reconcile of <paramref name="key"/>, outside the work queue (tests).</summary>
    internal Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken) => ReconcileAsync(key, cancellationToken);

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var role = _roles.Lister.Get(key);
        if (role?.AggregationRule is null)
        {
            return ReconcileResult.Done;
        }

        var rules = Api.Auth.ClusterRoleAggregation.Aggregate(role, _roles.Lister.List());
        if (Api.Auth.ClusterRoleAggregation.RulesEqual(rules, role.Rules))
        {
            return ReconcileResult.Done;
        }

        var copy = KubernetesJson.Deserialize<V1ClusterRole>(KubernetesJson.Serialize(role));
        copy.Rules = [.. rules.Select(r => KubernetesJson.Deserialize<V1PolicyRule>(KubernetesJson.Serialize(r)))];
        switch (await _api.UpdateAsync(copy, cancellationToken).ConfigureAwait(false))
        {
            case WriteOutcome.Done:
                Log.Aggregated(Logger, key, rules.Count);
                return ReconcileResult.Done;
            default:
                // Conflict: the role changed after the cache saw it, and that change's event queues every aggregated
                // role again. NotFound: deleted meanwhile. Either way there is nothing to retry.
                return ReconcileResult.Done;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "clusterrole {Name}: aggregated {Rules} rules")]
        public static partial void Aggregated(ILogger logger, string name, int rules);
    }
}
