using System.Net;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.NodeIpam;

/// <summary>
/// Upstream's node-ipam-controller with its range allocator (pkg/controller/nodeipam/ipam/range_allocator.go),
/// single stack: each node without <c>spec.podCIDR</c> gets the lowest free subnet of
/// <see cref="CoreControllerOptions.ClusterCidr"/> of size <see cref="CoreControllerOptions.NodeCidrMaskSize"/>
/// in <c>spec.podCIDR</c> and <c>spec.podCIDRs</c>.
/// <list type="bullet">
/// <item>Before the first allocation, the CIDRs the cached nodes already have are marked used (upstream lists the
/// nodes when it starts); a node seen later with a CIDR has it marked used too.</item>
/// <item>A node deleted (or being deleted) frees its CIDR, and the nodes waiting for one are looked at again.</item>
/// <item>When the range is full the node gets a <c>CIDRNotAvailable</c> warning (as upstream) and, here, the
/// <c>NetworkUnavailable</c> condition True with that reason, which the node lifecycle controller turns into the
/// <c>network-unavailable</c> NoSchedule taint; the condition goes False once the node has a CIDR.</item>
/// </list>
/// Keys are node names. The allocation state (<c>_assigned</c>, <c>_waiting</c>, the bitmap) is guarded by one lock,
/// never held across a call to the API.
/// </summary>
public sealed partial class NodeIpamController : QueueController
{
    public const string ControllerName = "node-ipam-controller";

    /// <summary>The event source upstream's range allocator records as.</summary>
    public const string Component = "cidrAllocator";

    public const string CidrNotAvailable = "CIDRNotAvailable";
    public const string CidrAssigned = "CIDRAssigned";

    private readonly IIndexReader<V1Node> _nodes;
    private readonly INodeIpamApi _api;
    private readonly IEventRecorder _recorder;
    private readonly ISharedInformer[] _informers = [];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string? Uid, IPNetwork Cidr)> _assigned = new(StringComparer.Ordinal);
    private readonly HashSet<string> _waiting = new(StringComparer.Ordinal);
    private bool _initialized;

    public NodeIpamController(ControllerContext context)
        : this(context, context.Informers.GetInformer<V1Node>())
    {
    }

    private NodeIpamController(ControllerContext context, SharedIndexInformer<V1Node> nodes)
        : this(nodes.Indexer, new KubernetesNodeIpamApi(context.Client), context.Recorder(Component), NewCidrSet(context.Core), context.Time, context.Loggers.CreateLogger(ControllerName))
    {
        _informers = [nodes];
        nodes.AddEventHandler(EnqueueOnChange<V1Node>());
    }

    internal NodeIpamController(IIndexReader<V1Node> nodes, INodeIpamApi api, IEventRecorder recorder, CidrSet cidrs, TimeProvider time, ILogger logger)
        : base(ControllerName, time, logger)
    {
        _nodes = nodes;
        _api = api;
        _recorder = recorder;
        Cidrs = cidrs;
    }

    internal CidrSet Cidrs { get; }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    internal Task<ReconcileResult> SyncAsync(string name, CancellationToken cancellationToken) => ReconcileAsync(name, cancellationToken);

    /// <exception cref="ArgumentException">The cluster CIDR does not parse or the mask size does not fit it (the manager then leaves the controller out).</exception>
    private static CidrSet NewCidrSet(CoreControllerOptions options) =>
        CidrSet.TryParse(options.ClusterCidr, out var cluster)
            ? new CidrSet(cluster, options.NodeCidrMaskSize)
            : throw new ArgumentException($"invalid cluster CIDR \"{options.ClusterCidr}\"", nameof(options));

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        OccupyExisting();
        var node = _nodes.Get(key);
        if (node is null || node.Metadata.DeletionTimestamp is not null)
        {
            Release(key);
            return ReconcileResult.Done;
        }

        var existing = node.Spec?.PodCIDRs is { Count: > 0 } list ? list[0] : node.Spec?.PodCIDR;
        if (!string.IsNullOrEmpty(existing))
        {
            await OccupyAsync(node, existing, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        IPNetwork cidr;
        bool allocated;
        lock (_lock)
        {
            if (_assigned.TryGetValue(key, out var mine) && mine.Uid == node.Metadata.Uid)
            {
                // Written already; the cache has not caught up with it yet.
                return ReconcileResult.Done;
            }

            ReleaseLocked(key);
            allocated = Cidrs.TryAllocateNext(out cidr);
            if (allocated)
            {
                _waiting.Remove(key);
                _assigned[key] = (node.Metadata.Uid, cidr);
            }
            else
            {
                _waiting.Add(key);
            }
        }

        if (!allocated)
        {
            Log.RangeFull(Logger, key, Cidrs.Cluster);
            _recorder.Event(NodeReference(node), EventTypes.Warning, CidrNotAvailable, $"Node {key} status is now: {CidrNotAvailable}");
            await SetNetworkUnavailableAsync(node, true, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        WriteOutcome outcome;
        try
        {
            outcome = await _api.PatchPodCidrsAsync(key, [cidr.ToString()], cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Upstream releases a CIDR it could not write (and retries); a timeout that did write shows up as the node's CIDR later.
            Release(key);
            throw;
        }

        switch (outcome)
        {
            case WriteOutcome.Done:
                Log.Assigned(Logger, key, cidr);
                await SetNetworkUnavailableAsync(node, false, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;
            case WriteOutcome.NotFound:
                Release(key);
                return ReconcileResult.Done;
            default:
                Release(key);
                throw new InvalidOperationException($"could not set the pod CIDR of node {key}: {outcome}");
        }
    }

    /// <summary>Once, before anything is allocated: the CIDRs the cached nodes hold are used.</summary>
    private void OccupyExisting()
    {
        lock (_lock)
        {
            if (_initialized)
            {
                return;
            }

            _initialized = true;
            foreach (var node in _nodes.List())
            {
                var text = node.Spec?.PodCIDRs is { Count: > 0 } list ? list[0] : node.Spec?.PodCIDR;
                if (CidrSet.TryParse(text, out var cidr) && Cidrs.Occupy(cidr))
                {
                    _assigned[node.Metadata.Name] = (node.Metadata.Uid, cidr);
                }
            }
        }
    }

    private async Task OccupyAsync(V1Node node, string text, CancellationToken cancellationToken)
    {
        var name = node.Metadata.Name;
        if (!CidrSet.TryParse(text, out var cidr))
        {
            // Garbage in the spec: nothing to occupy, and retrying will not help.
            Log.BadCidr(Logger, name, text);
            return;
        }

        lock (_lock)
        {
            if (!_assigned.TryGetValue(name, out var known) || known.Cidr != cidr || known.Uid != node.Metadata.Uid)
            {
                ReleaseLocked(name);
                if (Cidrs.Occupy(cidr))
                {
                    _assigned[name] = (node.Metadata.Uid, cidr);
                }
                else
                {
                    Log.OutOfRange(Logger, name, text, Cidrs.Cluster);
                }
            }

            _waiting.Remove(name);
        }

        await SetNetworkUnavailableAsync(node, false, cancellationToken).ConfigureAwait(false);
    }

    private void Release(string name)
    {
        lock (_lock)
        {
            ReleaseLocked(name);
        }
    }

    /// <summary>Frees what <paramref name="name"/> held and hands the nodes waiting for a CIDR back to the queue.</summary>
    private void ReleaseLocked(string name)
    {
        _waiting.Remove(name);
        if (!_assigned.Remove(name, out var held))
        {
            return;
        }

        Cidrs.Release(held.Cidr);
        foreach (var waiting in _waiting)
        {
            Enqueue(waiting);
        }
    }

    /// <summary>
    /// True when the range is full; False once a CIDR is assigned, but only over the condition this controller set
    /// (the network's owner, a CNI or a route controller, manages it otherwise).
    /// </summary>
    private async Task SetNetworkUnavailableAsync(V1Node node, bool unavailable, CancellationToken cancellationToken)
    {
        var current = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "NetworkUnavailable");
        if (unavailable ? current is { Status: "True" } : current is not { Status: "True", Reason: CidrNotAvailable })
        {
            return;
        }

        var now = Common.MetaTime.Now(Time);
        var condition = new V1NodeCondition
        {
            Type = "NetworkUnavailable",
            Status = unavailable ? "True" : "False",
            Reason = unavailable ? CidrNotAvailable : CidrAssigned,
            Message = unavailable ? $"No pod CIDR is free in the cluster CIDR {Cidrs.Cluster}" : "The node has a pod CIDR",
            LastHeartbeatTime = now,
            LastTransitionTime = now,
        };
        if (await _api.PatchConditionAsync(node.Metadata.Name, condition, cancellationToken).ConfigureAwait(false) is not (WriteOutcome.Done or WriteOutcome.NotFound) and var outcome)
        {
            throw new InvalidOperationException($"could not set NetworkUnavailable on node {node.Metadata.Name}: {outcome}");
        }
    }

    private static V1ObjectReference NodeReference(V1Node node) => new() { ApiVersion = "v1", Kind = "Node", Name = node.Metadata.Name, Uid = node.Metadata.Uid };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} gets pod CIDR {Cidr}")]
        public static partial void Assigned(ILogger logger, string node, IPNetwork cidr);

        [LoggerMessage(Level = LogLevel.Warning, Message = "no pod CIDR left in {Cluster} for node {Node}")]
        public static partial void RangeFull(ILogger logger, string node, IPNetwork cluster);

        [LoggerMessage(Level = LogLevel.Warning, Message = "node {Node} has an unparsable pod CIDR \"{Cidr}\"")]
        public static partial void BadCidr(ILogger logger, string node, string cidr);

        [LoggerMessage(Level = LogLevel.Warning, Message = "node {Node} has pod CIDR {Cidr}, outside the cluster CIDR {Cluster}")]
        public static partial void OutOfRange(ILogger logger, string node, string cidr, IPNetwork cluster);
    }
}
