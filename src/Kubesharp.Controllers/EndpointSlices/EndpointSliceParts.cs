using System.Text;
using k8s.Models;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Endpoints;

namespace Kubesharp.Controllers.EndpointSlices;

/// <summary>The labels that tie a slice to its service and its manager (upstream's <c>discovery.Label*</c>).</summary>
internal static class EndpointSliceLabels
{
    public const string ServiceName = "kubernetes.io/service-name";
    public const string ManagedBy = "endpointslice.kubernetes.io/managed-by";

    /// <summary>Upstream's controllerQualifiedName: the managed-by value of this controller's slices.</summary>
    public const string Controller = "endpointslice-controller.k8s.io";

    public const string TopologyZone = "topology.kubernetes.io/zone";

    /// <summary>The slice's service-name label, or null.</summary>
    public static string? ServiceOf(V1EndpointSlice slice) =>
        slice.Metadata.Labels is { } labels && labels.TryGetValue(ServiceName, out var name) ? name : null;

    public static bool IsManaged(V1EndpointSlice slice) =>
        slice.Metadata.Labels?.TryGetValue(ManagedBy, out var manager) == true && manager == Controller;

    private static bool IsReserved(string key) => key is ServiceName or ManagedBy or ServiceEndpoints.HeadlessLabel;

    /// <summary>
    /// Upstream's <c>setEndpointSliceLabels</c>: the service's labels (but the reserved ones), the headless label
    /// without a cluster IP, and the service-name and managed-by labels; and whether the slice's own labels (but
    /// the reserved ones) differed from the service's.
    /// </summary>
    public static (Dictionary<string, string> Labels, bool Changed) For(IDictionary<string, string>? sliceLabels, V1Service service)
    {
        var current = (sliceLabels ?? new Dictionary<string, string>()).Where(kv => !IsReserved(kv.Key)).ToDictionary(StringComparer.Ordinal);
        var labels = (service.Metadata.Labels ?? new Dictionary<string, string>()).Where(kv => !IsReserved(kv.Key)).ToDictionary(StringComparer.Ordinal);
        var changed = !Objects.SameLabels(current, labels);
        if (!ServiceEndpoints.IsServiceIpSet(service))
        {
            labels[ServiceEndpoints.HeadlessLabel] = "";
        }

        labels[ServiceName] = service.Metadata.Name;
        labels[ManagedBy] = Controller;
        return (labels, changed);
    }
}

/// <summary>
/// Pure pieces of upstream's EndpointSlice reconciler (<c>k8s.io/endpointslice/utils.go</c>): a pod's endpoint and
/// ports for a service, the address types a service wants, new slices, and the keys that group endpoints and slices.
/// </summary>
internal static class EndpointSliceParts
{
    public const string IPv4 = "IPv4";
    public const string IPv6 = "IPv6";

    /// <summary>
    /// Upstream's <c>getAddressTypesForService</c>: one per <c>spec.ipFamilies</c>; without them (an API server
    /// that does not set them), the family of the cluster IP, or for a service without one, both.
    /// </summary>
    public static List<string> AddressTypes(V1Service service)
    {
        var families = service.Spec?.IpFamilies ?? [];
        var types = new List<string>();
        if (families.Contains(ServiceEndpoints.IPv4))
        {
            types.Add(IPv4);
        }

        if (families.Contains(ServiceEndpoints.IPv6))
        {
            types.Add(IPv6);
        }

        if (types.Count > 0)
        {
            return types;
        }

        if (ServiceEndpoints.IsServiceIpSet(service))
        {
            return [ServiceEndpoints.IsIPv6(service.Spec!.ClusterIP) ? IPv6 : IPv4];
        }

        return [IPv4, IPv6];
    }

    /// <summary>
    /// Upstream's <c>getEndpointPorts</c>: one port per service port the pod resolves (named ports by name and
    /// protocol); none for a headless service without ports.
    /// </summary>
    public static List<Discoveryv1EndpointPort> EndpointPorts(V1Service service, V1Pod pod)
    {
        var result = new List<Discoveryv1EndpointPort>();
        foreach (var servicePort in service.Spec?.Ports ?? [])
        {
            if (ServiceEndpoints.FindPort(pod, servicePort) is { } port)
            {
                result.Add(new Discoveryv1EndpointPort
                {
                    Name = servicePort.Name ?? "",
                    Port = port,
                    Protocol = servicePort.Protocol,
                    AppProtocol = servicePort.AppProtocol,
                });
            }
        }

        return result;
    }

    /// <summary>
    /// Upstream's <c>podToEndpoint</c>: the pod's addresses of <paramref name="addressType"/>; serving when the
    /// pod is ready, terminating when it is being deleted, ready when serving and not terminating (always with
    /// <c>publishNotReadyAddresses</c>); node name, the node's zone, the hostname when the pod asks for it.
    /// </summary>
    public static V1Endpoint PodToEndpoint(V1Pod pod, V1Node? node, V1Service service, string addressType)
    {
        var serving = Pods.IsReady(pod);
        var terminating = pod.Metadata.DeletionTimestamp is not null;
        var ready = service.Spec?.PublishNotReadyAddresses == true || (serving && !terminating);
        var addresses = new List<string>();
        foreach (var text in ServiceEndpoints.PodIps(pod))
        {
            if (ServiceEndpoints.ParseIp(text) is { } ip && ip.IsV6 == (addressType == IPv6))
            {
                addresses.Add(ip.Text);
            }
        }

        return new V1Endpoint
        {
            Addresses = addresses,
            Conditions = new V1EndpointConditions { Ready = ready, Serving = serving, Terminating = terminating },
            TargetRef = new V1ObjectReference
            {
                Kind = "Pod",
                NamespaceProperty = pod.Metadata.NamespaceProperty,
                Name = pod.Metadata.Name,
                Uid = pod.Metadata.Uid,
            },
            NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
            Zone = node?.Metadata.Labels?.TryGetValue(EndpointSliceLabels.TopologyZone, out var zone) == true && zone.Length > 0 ? zone : null,
            Hostname = ServiceEndpoints.ShouldSetHostname(pod, service) ? pod.Spec!.Hostname : null,
        };
    }

    /// <summary>Upstream's <c>newEndpointSlice</c>: named by the server from the service's name, controlled by the service.</summary>
    public static V1EndpointSlice NewSlice(V1Service service, IList<Discoveryv1EndpointPort> ports, string addressType) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta
        {
            GenerateName = NamePrefix(service.Metadata.Name),
            NamespaceProperty = service.Metadata.NamespaceProperty,
            Labels = EndpointSliceLabels.For(null, service).Labels,
            OwnerReferences = [Objects.ControllerRef(service, "v1", "Service")],
        },
        AddressType = addressType,
        Ports = [.. ports],
        Endpoints = [],
    };

    // The dash makes names prettier, unless the prefix would then be too long for a DNS subdomain.
    private static string NamePrefix(string serviceName) => serviceName.Length + 1 <= 253 ? serviceName + "-" : serviceName;

    /// <summary>Upstream's <c>ownedBy</c>: an ownerReference to this very service (by UID).</summary>
    public static bool OwnedBy(V1EndpointSlice slice, V1Service service) =>
        slice.Metadata.OwnerReferences?.Any(o => o.Uid == service.Metadata.Uid && o.Kind == "Service" && o.ApiVersion == "v1") == true;

    /// <summary>
    /// What identifies an endpoint across syncs (upstream's endpoint hash): its sorted addresses, hostname and
    /// target namespace and name. Other fields may change in place.
    /// </summary>
    public static string EndpointKey(V1Endpoint endpoint)
    {
        var sb = new StringBuilder();
        sb.Append(endpoint.TargetRef?.NamespaceProperty).Append('/').Append(endpoint.TargetRef?.Name).Append('|').Append(endpoint.Hostname).Append('|');
        sb.AppendJoin(',', (endpoint.Addresses ?? []).Order(StringComparer.Ordinal));
        return sb.ToString();
    }

    /// <summary>What groups endpoints into slices (upstream's PortMapKey): the set of ports, in any order, none equal to empty.</summary>
    public static string PortMapKey(IEnumerable<Discoveryv1EndpointPort>? ports) =>
        string.Join('\n', (ports ?? []).Select(p => $"{p.Name}|{p.Port}|{p.Protocol}|{p.AppProtocol}").Order(StringComparer.Ordinal));

    /// <summary>
    /// Upstream's <c>EndpointsEqualBeyondHash</c>: node name, zone, the three conditions and the target (but its
    /// resourceVersion) equal; what <see cref="EndpointKey"/> covers is not compared again.
    /// </summary>
    public static bool SameBeyondKey(V1Endpoint a, V1Endpoint b) =>
        a.NodeName == b.NodeName
        && a.Zone == b.Zone
        && a.Conditions?.Ready == b.Conditions?.Ready
        && a.Conditions?.Serving == b.Conditions?.Serving
        && a.Conditions?.Terminating == b.Conditions?.Terminating
        && EndpointSubsets.SameTarget(a.TargetRef, b.TargetRef);
}
