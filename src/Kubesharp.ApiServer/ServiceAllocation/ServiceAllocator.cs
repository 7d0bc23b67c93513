using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Storage;
using Microsoft.Extensions.Logging;
using static Kubesharp.ApiServer.ServiceAllocation.ServiceFields;

namespace Kubesharp.ApiServer.ServiceAllocation;

/// <summary>
/// Cluster IPs and node ports of Services, as upstream's service registry (<c>storage/alloc.go</c>,
/// <c>strategy.go</c>) hands them out: the REST layer calls <see cref="PrepareForCreate"/> or
/// <see cref="PrepareForUpdate"/> before validation, <see cref="AllocateCreateAsync"/> or
/// <see cref="AllocateUpdateAsync"/> after it, then commits the returned transaction once the Service is
/// written or reverts it when the write fails; every path that removes a Service calls <see cref="ReleaseAsync"/>.
/// </summary>
/// <remarks>
/// The bitmaps live in the store (<see cref="RangeAllocationStore"/>): nothing here is cached, so several
/// API servers share them safely. Releases of an update are deferred to the commit, so that a failed write
/// gives nothing away. A crash between a write and its commit leaks an item until the repair
/// (<see cref="AllocationRepair"/>) takes it back. Thread-safe.
/// </remarks>
internal sealed partial class ServiceAllocator
{
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly ILogger _logger;

    public ServiceAllocator(IStore store, ServiceIpRange ips, NodePortRange ports, Random random, ILogger logger)
    {
        Ips = ips;
        NodePorts = ports;
        _random = random;
        _logger = logger;
        IpStore = new RangeAllocationStore(store, RangeAllocationStore.ServiceIpsKey, ips.Cidr, ips.Size, ips.Offset);
        PortStore = new RangeAllocationStore(store, RangeAllocationStore.NodePortsKey, ports.Text, ports.Size, ports.Offset);
    }

    public ServiceIpRange Ips { get; }

    public NodePortRange NodePorts { get; }

    public RangeAllocationStore IpStore { get; }

    public RangeAllocationStore PortStore { get; }

    /// <summary>Upstream's NormalizeClusterIPs on create: a client that set only <c>clusterIP</c> gets it in <c>clusterIPs</c>.</summary>
    public static void PrepareForCreate(JsonObject svc)
    {
        var spec = Spec(svc);
        if (Str(spec, "clusterIP") is { Length: > 0 } ip && Strings(spec, "clusterIPs").Count == 0)
        {
            SetStrings(spec, "clusterIPs", [ip]);
        }
    }

    /// <summary>
    /// Upstream's update preparation, in its order: patchAllocatedValues (a client that left out what was
    /// allocated keeps it), NormalizeClusterIPs, dropTypeDependentFields (a type change clears the cluster IP,
    /// node ports and health check port the user did not touch, to be released after the write).
    /// </summary>
    public static void PrepareForUpdate(JsonObject oldSvc, JsonObject newSvc)
    {
        var oldSpec = Spec(oldSvc);
        var spec = Spec(newSvc);
        PatchAllocatedValues(oldSpec, spec);
        NormalizeClusterIps(oldSpec, spec);
        DropTypeDependentFields(oldSpec, spec);
    }

    private static void PatchAllocatedValues(JsonObject oldSpec, JsonObject spec)
    {
        if (NeedsClusterIp(oldSpec) && NeedsClusterIp(spec))
        {
            if (string.IsNullOrEmpty(Str(spec, "clusterIP")))
            {
                SetString(spec, "clusterIP", Str(oldSpec, "clusterIP"));
            }

            if (Strings(spec, "clusterIPs").Count == 0 && Strings(oldSpec, "clusterIPs") is { Count: > 0 } oldIps)
            {
                SetStrings(spec, "clusterIPs", oldIps);
            }
        }

        if (NeedsNodePort(oldSpec) && NeedsNodePort(spec))
        {
            var used = ServiceFields.NodePorts(oldSpec).Intersect(ServiceFields.NodePorts(spec)).ToHashSet();
            var byName = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var port in Ports(oldSpec))
            {
                byName[Str(port, "name") ?? ""] = Int(port, "nodePort");
            }

            foreach (var port in Ports(spec))
            {
                if (Int(port, "nodePort") == 0 && byName.TryGetValue(Str(port, "name") ?? "", out var old) && old != 0 && !used.Contains(old))
                {
                    port["nodePort"] = old;
                }
            }
        }

        if (NeedsHealthCheck(oldSpec) && NeedsHealthCheck(spec) && Int(spec, "healthCheckNodePort") == 0)
        {
            SetInt(spec, "healthCheckNodePort", Int(oldSpec, "healthCheckNodePort"));
        }
    }

    private static void NormalizeClusterIps(JsonObject oldSpec, JsonObject spec)
    {
        var oldIp = Str(oldSpec, "clusterIP") ?? "";
        var newIp = Str(spec, "clusterIP") ?? "";
        var oldIps = Strings(oldSpec, "clusterIPs");
        if (oldIps.Count > 0 && Strings(spec, "clusterIPs").Count == 0 && oldIp == newIp)
        {
            // An old client that patched another field and sent no clusterIPs.
            SetStrings(spec, "clusterIPs", oldIps);
        }

        if (oldIp != newIp)
        {
            var same = Strings(spec, "clusterIPs").SequenceEqual(oldIps);
            if (oldIp.Length > 0 && newIp.Length == 0)
            {
                if (same)
                {
                    spec.Remove("clusterIPs");
                }
            }
            else if (same)
            {
                SetStrings(spec, "clusterIPs", [newIp]);
            }
        }
    }

    private static void DropTypeDependentFields(JsonObject oldSpec, JsonObject spec)
    {
        if (NeedsClusterIp(oldSpec) && !NeedsClusterIp(spec))
        {
            if (Str(oldSpec, "clusterIP") == Str(spec, "clusterIP") && Strings(oldSpec, "clusterIPs").SequenceEqual(Strings(spec, "clusterIPs")))
            {
                spec.Remove("clusterIP");
                spec.Remove("clusterIPs");
            }

            if (Strings(oldSpec, "ipFamilies").SequenceEqual(Strings(spec, "ipFamilies")))
            {
                spec.Remove("ipFamilies");
            }

            if (Str(oldSpec, "ipFamilyPolicy") == Str(spec, "ipFamilyPolicy"))
            {
                spec.Remove("ipFamilyPolicy");
            }
        }

        // Users may add, remove or change ports when they switch away from node ports, as long as they add
        // no node port of their own (upstream's sameNodePorts is a superset check).
        if (NeedsNodePort(oldSpec) && !NeedsNodePort(spec) && ServiceFields.NodePorts(spec).All(ServiceFields.NodePorts(oldSpec).Contains))
        {
            foreach (var port in Ports(spec))
            {
                port.Remove("nodePort");
            }
        }

        if (NeedsHealthCheck(oldSpec) && !NeedsHealthCheck(spec) && Int(oldSpec, "healthCheckNodePort") == Int(spec, "healthCheckNodePort"))
        {
            spec.Remove("healthCheckNodePort");
        }

        // The fields of a LoadBalancer and of external traffic go too when left as they were.
        if (Type(oldSpec) == "LoadBalancer" && Type(spec) != "LoadBalancer")
        {
            if (oldSpec["allocateLoadBalancerNodePorts"] is JsonValue oldAllocate && spec["allocateLoadBalancerNodePorts"] is JsonValue newAllocate
                && JsonNode.DeepEquals(oldAllocate, newAllocate))
            {
                spec.Remove("allocateLoadBalancerNodePorts");
            }

            if (Str(oldSpec, "loadBalancerClass") is { } oldClass && Str(spec, "loadBalancerClass") == oldClass)
            {
                spec.Remove("loadBalancerClass");
            }
        }

        if (NeedsNodePort(oldSpec) && !NeedsNodePort(spec) && Str(oldSpec, "externalTrafficPolicy") == Str(spec, "externalTrafficPolicy"))
        {
            spec.Remove("externalTrafficPolicy");
        }
    }

    /// <summary>
    /// Allocates what a new Service needs (after validation) and writes it into <paramref name="svc"/>:
    /// the IP family fields, the cluster IP (requested or random), node ports and the health check node port.
    /// A refusal is a 422 with upstream's field error and holds nothing.
    /// </summary>
    public async Task<AllocationTransaction> AllocateCreateAsync(JsonObject svc, bool dryRun, CancellationToken cancellationToken)
    {
        var name = Str(svc["metadata"] as JsonObject, "name") ?? "";
        var spec = Spec(svc);
        var txn = new AllocationTransaction(this, dryRun);
        if (!NeedsClusterIp(spec))
        {
            return txn;
        }

        InitIpFamilyFields(name, spec);
        try
        {
            await AllocateClusterIpAsync(name, spec, txn, cancellationToken);
            if (NeedsNodePort(spec))
            {
                var plan = await PortStore.UpdateAsync(bitmap => PlanCreatePorts(name, spec, bitmap), dryRun, cancellationToken);
                ApplyPorts(spec, plan, txn);
            }
        }
        catch
        {
            await txn.RevertAsync(CancellationToken.None);
            throw;
        }

        return txn;
    }

    /// <summary>
    /// Allocates and schedules releases for an update (after validation): a type change from ExternalName gets
    /// a cluster IP, one to ExternalName gives it back; node ports follow the type and the ports; the health
    /// check port follows the traffic policy. Releases happen on commit.
    /// </summary>
    public async Task<AllocationTransaction> AllocateUpdateAsync(JsonObject oldSvc, JsonObject newSvc, bool dryRun, CancellationToken cancellationToken)
    {
        var name = Str(newSvc["metadata"] as JsonObject, "name") ?? "";
        var oldSpec = Spec(oldSvc);
        var spec = Spec(newSvc);
        var txn = new AllocationTransaction(this, dryRun);
        if (NeedsClusterIp(spec))
        {
            InitIpFamilyFields(name, spec);
        }

        try
        {
            if (!NeedsClusterIp(oldSpec) && NeedsClusterIp(spec))
            {
                await AllocateClusterIpAsync(name, spec, txn, cancellationToken);
            }
            else if (NeedsClusterIp(oldSpec) && !IsHeadless(oldSpec) && !NeedsClusterIp(spec))
            {
                foreach (var ip in Strings(oldSpec, "clusterIPs"))
                {
                    if (Ips.ItemOf(ip) is { } item)
                    {
                        txn.IpsToRelease.Add(item);
                    }
                }
            }

            if (NeedsNodePort(oldSpec) || NeedsNodePort(spec) || NeedsHealthCheck(oldSpec) || NeedsHealthCheck(spec))
            {
                var plan = await PortStore.UpdateAsync(bitmap => PlanUpdatePorts(name, oldSpec, spec, bitmap), dryRun, cancellationToken);
                ApplyPorts(spec, plan, txn);
            }
        }
        catch
        {
            await txn.RevertAsync(CancellationToken.None);
            throw;
        }

        return txn;
    }

    /// <summary>
    /// Gives back everything a removed Service held (upstream's releaseAllocatedResources). Never throws for
    /// a storage fault: the Service is gone either way, and the repair takes back what this could not.
    /// </summary>
    public async Task ReleaseAsync(JsonObject svc, CancellationToken cancellationToken)
    {
        var spec = Spec(svc);
        var ips = NeedsClusterIp(spec) && !IsHeadless(spec)
            ? Strings(spec, "clusterIPs").Select(Ips.ItemOf).OfType<int>().ToList()
            : [];
        var ports = ServiceFields.NodePorts(spec);
        if (NeedsHealthCheck(spec) && Int(spec, "healthCheckNodePort") is > 0 and var health)
        {
            ports.Add(health);
        }

        try
        {
            await ReleaseItemsAsync(ips, [.. ports.Select(NodePorts.ItemOf).OfType<int>()], cancellationToken);
        }
        catch (Exception e) when (e is StoreException or OperationCanceledException)
        {
            ServiceAllocationLog.ReleaseFailed(_logger, e, Str(svc["metadata"] as JsonObject, "namespace") ?? "", Str(svc["metadata"] as JsonObject, "name") ?? "");
        }
    }

    internal async Task ReleaseItemsAsync(IReadOnlyCollection<int> ips, IReadOnlyCollection<int> ports, CancellationToken cancellationToken)
    {
        if (ips.Count > 0)
        {
            await IpStore.UpdateAsync(bitmap => ReleaseAll(bitmap, ips), false, cancellationToken);
        }

        if (ports.Count > 0)
        {
            await PortStore.UpdateAsync(bitmap => ReleaseAll(bitmap, ports), false, cancellationToken);
        }
    }

    internal async Task ReleaseQuietlyAsync(IReadOnlyCollection<int> ips, IReadOnlyCollection<int> ports, CancellationToken cancellationToken)
    {
        try
        {
            await ReleaseItemsAsync(ips, ports, cancellationToken);
        }
        catch (Exception e) when (e is StoreException or OperationCanceledException)
        {
            ServiceAllocationLog.ReleaseFailed(_logger, e, "", "");
        }
    }

    private static bool ReleaseAll(AllocationBitmap bitmap, IEnumerable<int> items)
    {
        foreach (var item in items)
        {
            bitmap.Release(item);
        }

        return true;
    }

    private int? Next(AllocationBitmap bitmap)
    {
        lock (_randomLock)
        {
            return bitmap.AllocateNext(_random);
        }
    }

    /// <summary>
    /// Upstream's initIPFamilyFields for a single-stack IPv4 cluster: SingleStack and [IPv4] unless given; a
    /// headless Service without a selector gets RequireDualStack (which it may have anywhere); IPv6 or dual
    /// stack asked of this cluster is refused.
    /// </summary>
    private static void InitIpFamilyFields(string name, JsonObject spec)
    {
        var headlessNoSelector = IsHeadless(spec) && spec["selector"] is not JsonObject { Count: > 0 };
        var families = Strings(spec, "ipFamilies");
        var policy = Str(spec, "ipFamilyPolicy");
        var ips = Strings(spec, "clusterIPs");
        List<StatusCause> causes = [];
        for (var i = 0; i < families.Count; i++)
        {
            if (families[i] != "IPv4" && !(headlessNoSelector && i > 0))
            {
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{families[i]}\": not configured on this cluster", $"spec.ipFamilies[{i}]"));
            }
        }

        for (var i = 0; i < ips.Count; i++)
        {
            if (ips[i] != "None" && IPAddress.TryParse(ips[i], out var address) && address.AddressFamily != AddressFamily.InterNetwork)
            {
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{ips[i]}\": IPv6 is not configured on this cluster", $"spec.clusterIPs[{i}]"));
            }
        }

        if (!headlessNoSelector && policy == "RequireDualStack")
        {
            causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services", "spec.ipFamilyPolicy"));
        }

        if (causes.Count > 0)
        {
            throw StatusException.Invalid("", "Service", name, causes);
        }

        spec["ipFamilyPolicy"] = policy ?? (headlessNoSelector ? "RequireDualStack" : "SingleStack");
        if (families.Count == 0)
        {
            SetStrings(spec, "ipFamilies", ["IPv4"]);
        }
        else if (spec["ipFamilyPolicy"]!.GetValue<string>() is "SingleStack" or "PreferDualStack" && families.Count > 1)
        {
            // A single-stack cluster keeps the first family of a PreferDualStack request.
            SetStrings(spec, "ipFamilies", [families[0]]);
        }
    }

    private async Task AllocateClusterIpAsync(string name, JsonObject spec, AllocationTransaction txn, CancellationToken cancellationToken)
    {
        var ips = Strings(spec, "clusterIPs");
        if (ips is ["None"])
        {
            spec["clusterIP"] = "None";
            return;
        }

        var requested = ips.Count > 0 ? ips[0] : null;
        int item;
        if (requested is not null)
        {
            var wanted = Ips.ItemOf(requested) ?? throw IpRefused(name, ips, requested, $"the provided IP ({requested}) is not in the valid range. The range of valid IPs is {Ips.Cidr}");
            item = await IpStore.UpdateAsync(bitmap => bitmap.Allocate(wanted) ? wanted : throw IpRefused(name, ips, requested, "provided IP is already allocated"), txn.DryRun, cancellationToken);
        }
        else
        {
            item = await IpStore.UpdateAsync(bitmap => Next(bitmap) ?? throw StatusException.Internal("failed to allocate a serviceIP: range is full"), txn.DryRun, cancellationToken);
        }

        txn.IpsAllocated.Add(item);
        var ip = Ips.AddressAt(item);
        spec["clusterIP"] = ip;
        SetStrings(spec, "clusterIPs", [ip]);
    }

    // Upstream's allocIPs reports the whole clusterIPs slice as the invalid value.
    private static StatusException IpRefused(string name, IReadOnlyList<string> ips, string ip, string why) =>
        StatusException.Invalid("", "Service", name,
            [new StatusCause("FieldValueInvalid", $"Invalid value: []string{{{string.Join(", ", ips.Select(i => $"\"{i}\""))}}}: failed to allocate IP {ip}: {why}", "spec.clusterIPs")]);

    private static StatusException PortRefused(string name, int index, int port, string why) =>
        StatusException.Invalid("", "Service", name, [new StatusCause("FieldValueInvalid", $"Invalid value: {port}: {why}", $"spec.ports[{index}].nodePort")]);

    /// <summary>Takes <paramref name="port"/> in the bitmap; the error text is upstream's portallocator's.</summary>
    private string? TryTake(AllocationBitmap bitmap, int port)
    {
        if (NodePorts.ItemOf(port) is not { } item)
        {
            return $"provided port is not in the valid range. The range of valid ports is {NodePorts.Text}";
        }

        return bitmap.Allocate(item) ? null : "provided port is already allocated";
    }

    private int TakeNext(AllocationBitmap bitmap, string what) =>
        Next(bitmap) is { } item ? NodePorts.PortAt(item) : throw StatusException.Internal($"failed to allocate a {what}: range is full");

    /// <summary>
    /// Upstream's initNodePorts: a port without a node port takes the one an earlier or later port with the
    /// same number asked for or got (two protocols on one port number share a node port), else a random one.
    /// </summary>
    private PortPlan PlanCreatePorts(string name, JsonObject spec, AllocationBitmap bitmap)
    {
        var ports = Ports(spec);
        var plan = new PortPlan(new int[ports.Count], Int(spec, "healthCheckNodePort"));
        var byServicePort = new Dictionary<int, int>();
        var allocate = ShouldAllocateNodePorts(spec);
        for (var i = 0; i < ports.Count; i++)
        {
            var nodePort = Int(ports[i], "nodePort");
            plan.NodePorts[i] = nodePort;
            if (nodePort == 0 && !allocate)
            {
                continue;
            }

            var number = Int(ports[i], "port");
            if (!byServicePort.TryGetValue(number, out var given))
            {
                var requested = ports.Select(p => (Port: Int(p, "port"), Node: Int(p, "nodePort"))).FirstOrDefault(p => p.Port == number && p.Node != 0).Node;
                if (requested != 0)
                {
                    if (TryTake(bitmap, requested) is { } why)
                    {
                        throw PortRefused(name, i, requested, why);
                    }

                    plan.Taken.Add(requested);
                    plan.NodePorts[i] = requested;
                }
                else
                {
                    plan.NodePorts[i] = TakeNext(bitmap, "nodePort");
                    plan.Taken.Add(plan.NodePorts[i]);
                }

                byServicePort[number] = plan.NodePorts[i];
            }
            else if (nodePort != given)
            {
                if (nodePort == 0)
                {
                    plan.NodePorts[i] = given;
                }
                else if (TryTake(bitmap, nodePort) is { } why)
                {
                    throw PortRefused(name, i, nodePort, why);
                }
                else
                {
                    plan.Taken.Add(nodePort);
                }
            }
        }

        if (NeedsHealthCheck(spec))
        {
            plan.HealthCheck = TakeHealthCheck(bitmap, plan.HealthCheck, plan);
        }

        return plan;
    }

    private int TakeHealthCheck(AllocationBitmap bitmap, int requested, PortPlan plan)
    {
        if (requested != 0)
        {
            if (TryTake(bitmap, requested) is { } why)
            {
                throw StatusException.Internal($"failed to allocate requested HealthCheck NodePort {requested}: {why}");
            }

            plan.Taken.Add(requested);
            return requested;
        }

        var port = TakeNext(bitmap, "HealthCheck NodePort");
        plan.Taken.Add(port);
        return port;
    }

    /// <summary>Upstream's txnUpdateNodePorts and updateHealthCheckNodePort.</summary>
    private PortPlan PlanUpdatePorts(string name, JsonObject oldSpec, JsonObject spec, AllocationBitmap bitmap)
    {
        var ports = Ports(spec);
        var plan = new PortPlan([.. ports.Select(p => Int(p, "nodePort"))], Int(spec, "healthCheckNodePort"));
        var oldNumbers = ServiceFields.NodePorts(oldSpec);
        if (NeedsNodePort(oldSpec) && Type(spec) is "ExternalName" or "ClusterIP")
        {
            plan.Released.AddRange(oldNumbers);
        }

        if (NeedsNodePort(spec))
        {
            var allocate = ShouldAllocateNodePorts(spec);
            var taken = new HashSet<int>();
            var seen = new HashSet<(string, int)>();
            for (var i = 0; i < ports.Count; i++)
            {
                var nodePort = plan.NodePorts[i];
                if (nodePort == 0 && !allocate)
                {
                    continue;
                }

                if (nodePort != 0)
                {
                    if (!oldNumbers.Contains(nodePort) && taken.Add(nodePort))
                    {
                        if (TryTake(bitmap, nodePort) is { } why)
                        {
                            throw PortRefused(name, i, nodePort, why);
                        }

                        plan.Taken.Add(nodePort);
                    }
                }
                else
                {
                    nodePort = plan.NodePorts[i] = TakeNext(bitmap, "nodePort");
                    plan.Taken.Add(nodePort);
                }

                if (!seen.Add((Protocol(ports[i]), nodePort)))
                {
                    throw StatusException.Unclassified($"duplicate nodePort: {{{Protocol(ports[i])} {nodePort}}}");
                }
            }

            plan.Released.AddRange(oldNumbers.Where(n => !plan.NodePorts.Contains(n)));
        }

        var neededHealth = NeedsHealthCheck(oldSpec);
        var needsHealth = NeedsHealthCheck(spec);
        if (!neededHealth && needsHealth)
        {
            plan.HealthCheck = TakeHealthCheck(bitmap, plan.HealthCheck, plan);
        }
        else if (neededHealth && !needsHealth && Int(oldSpec, "healthCheckNodePort") is > 0 and var oldHealth)
        {
            plan.Released.Add(oldHealth);
        }

        return plan;
    }

    private void ApplyPorts(JsonObject spec, PortPlan plan, AllocationTransaction txn)
    {
        txn.PortsAllocated.AddRange(plan.Taken.Select(NodePorts.ItemOf).OfType<int>());
        txn.PortsToRelease.AddRange(plan.Released.Select(NodePorts.ItemOf).OfType<int>());
        var ports = Ports(spec);
        for (var i = 0; i < ports.Count; i++)
        {
            SetInt(ports[i], "nodePort", plan.NodePorts[i]);
        }

        SetInt(spec, "healthCheckNodePort", plan.HealthCheck);
    }

    /// <summary>What one node-port step decided: each port's node port, the health check port, what it took and gives back.</summary>
    private sealed class PortPlan(int[] nodePorts, int healthCheck)
    {
        public int[] NodePorts { get; } = nodePorts;

        public int HealthCheck { get; set; } = healthCheck;

        public List<int> Taken { get; } = [];

        public List<int> Released { get; } = [];
    }
}

/// <summary>
/// What one Service write took and will give back. <see cref="CommitAsync"/> after the write succeeded
/// releases what the update freed; <see cref="RevertAsync"/> after it failed releases what was taken. Either
/// is called once; a dry run does neither. Not thread-safe (one request owns it).
/// </summary>
internal sealed class AllocationTransaction(ServiceAllocator allocator, bool dryRun)
{
    public bool DryRun => dryRun;

    public List<int> IpsAllocated { get; } = [];

    public List<int> PortsAllocated { get; } = [];

    public List<int> IpsToRelease { get; } = [];

    public List<int> PortsToRelease { get; } = [];

    /// <summary>Releases what the write freed. A storage fault is logged, not thrown: the write stands, and the repair frees the rest.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (!dryRun)
        {
            await allocator.ReleaseQuietlyAsync(IpsToRelease, PortsToRelease, cancellationToken);
        }
    }

    /// <summary>Gives back what was taken. A storage fault is logged, not thrown (the repair frees it after its grace runs).</summary>
    public async Task RevertAsync(CancellationToken cancellationToken)
    {
        if (!dryRun)
        {
            await allocator.ReleaseQuietlyAsync(IpsAllocated, PortsAllocated, cancellationToken);
            IpsAllocated.Clear();
            PortsAllocated.Clear();
        }
    }
}

internal static partial class ServiceAllocationLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "releasing the cluster IP and node ports of service {Namespace}/{Name} failed; the repair will take them back")]
    public static partial void ReleaseFailed(ILogger logger, Exception exception, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the {What} {Item} appears to have leaked: cleaning up")]
    public static partial void Leaked(ILogger logger, string what, string item);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the {What} {Item} of service {Namespace}/{Name} was not allocated in the range: repaired")]
    public static partial void NotAllocated(ILogger logger, string what, string item, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the {What} {Item} of service {Namespace}/{Name} is held by another service too")]
    public static partial void Duplicate(ILogger logger, string what, string item, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "service allocation repair failed")]
    public static partial void RepairFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the kubernetes service reconciler failed")]
    public static partial void KubernetesServiceFailed(ILogger logger, Exception exception);
}
