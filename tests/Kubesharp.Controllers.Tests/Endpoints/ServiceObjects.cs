using k8s.Models;

namespace Kubesharp.Controllers.Tests.Endpoints;

/// <summary>Services, pods and nodes for the endpoints and EndpointSlice tests, defaulted as the API server would.</summary>
internal static class ServiceObjects
{
    public const string Ns = "default";

    public static readonly DateTime Created = new(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc);

    public static readonly Dictionary<string, string> WebLabels = new() { ["app"] = "web" };

    public static V1ServicePort Port(int port, string? targetPort = null, string? name = null, string protocol = "TCP") => new()
    {
        Name = name,
        Port = port,
        TargetPort = targetPort ?? port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Protocol = protocol,
    };

    public static V1Service Service(
        string name = "web",
        Dictionary<string, string>? selector = null,
        V1ServicePort[]? ports = null,
        string clusterIp = "10.43.0.10",
        bool publishNotReady = false,
        Dictionary<string, string>? labels = null,
        string[]? families = null,
        string uid = "svc-uid") => new()
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = Ns,
                Uid = uid,
                ResourceVersion = "1",
                CreationTimestamp = Created,
                Labels = labels,
            },
            Spec = new V1ServiceSpec
            {
                Selector = selector ?? new Dictionary<string, string>(WebLabels),
                Ports = ports ?? [Port(80, "8080", name: "http")],
                ClusterIP = clusterIp,
                ClusterIPs = clusterIp.Length == 0 ? null : [clusterIp],
                IpFamilies = families ?? ["IPv4"],
                PublishNotReadyAddresses = publishNotReady,
                Type = "ClusterIP",
            },
        };

    public static V1Pod Pod(
        string name,
        string? ip = null,
        bool ready = true,
        string? node = "node-a",
        Dictionary<string, string>? labels = null,
        string phase = "Running",
        bool deleting = false,
        V1ContainerPort[]? containerPorts = null,
        DateTime? readySince = null,
        string resourceVersion = "1") => new()
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = Ns,
                Uid = "uid-" + name,
                ResourceVersion = resourceVersion,
                Labels = labels ?? new Dictionary<string, string>(WebLabels),
                DeletionTimestamp = deleting ? Created.AddHours(1) : null,
            },
            Spec = new V1PodSpec
            {
                NodeName = node,
                Containers = [new V1Container { Name = "c", Image = "nginx:1", Ports = containerPorts }],
            },
            Status = new V1PodStatus
            {
                Phase = phase,
                PodIP = ip,
                PodIPs = ip is null ? null : [new V1PodIP { Ip = ip }],
                Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = readySince ?? Created.AddMinutes(1) }],
            },
        };

    public static V1ContainerPort ContainerPort(string name, int port, string protocol = "TCP") => new() { Name = name, ContainerPort = port, Protocol = protocol };

    public static V1Node Node(string name = "node-a", string? zone = "zone-1") => new()
    {
        ApiVersion = "v1",
        Kind = "Node",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = zone is null ? null : new Dictionary<string, string> { ["topology.kubernetes.io/zone"] = zone },
        },
    };

    /// <summary>Pod <c>p{i}</c> with IP 10.42.{i / 250}.{i % 250 + 1}.</summary>
    public static V1Pod Numbered(int i, bool ready = true) => Pod($"p{i:D3}", $"10.42.{i / 250}.{(i % 250) + 1}", ready);
}
