using System.Text.Json;

namespace Kubesharp.Api.Printing;

// Core kinds other than pods and events. Column types follow upstream even where the cell is of another
// JSON type (Data is declared "string" but carries an integer): kubectl prints cells as they come.
internal static partial class KindPrinters
{
    private static KindPrinter Namespace() => new("", "Namespace",
        [Col.Name, Col.Str("Status", "The namespace's phase."), Col.Age],
        (o, now) => [CellFormat.Name(o), o.Str("status", "phase"), CellFormat.Age(o, now)]);

    private static KindPrinter ConfigMap() => new("", "ConfigMap",
        [Col.Name, Col.Str("Data", "Number of keys in data and binaryData."), Col.Age],
        (o, now) => [CellFormat.Name(o), (long)(o.Props("data").Count + o.Props("binaryData").Count), CellFormat.Age(o, now)]);

    private static KindPrinter Secret() => new("", "Secret",
        [Col.Name, Col.Str("Type", "The secret's type."), Col.Str("Data", "Number of keys in data."), Col.Age],
        (o, now) => [CellFormat.Name(o), o.Str("type"), (long)o.Props("data").Count, CellFormat.Age(o, now)]);

    private static KindPrinter ServiceAccount() => new("", "ServiceAccount",
        [Col.Name, Col.Str("Secrets", "Number of secrets listed in the service account."), Col.Age],
        (o, now) => [CellFormat.Name(o), (long)o.Items("secrets").Count, CellFormat.Age(o, now)]);

    private static KindPrinter Node() => new("", "Node",
    [
        Col.Name,
        Col.Str("Status", "Ready, NotReady or Unknown, and SchedulingDisabled when cordoned."),
        Col.Str("Roles", "Roles from the node-role.kubernetes.io/<role> and kubernetes.io/role labels."),
        Col.Age,
        Col.Str("Version", "The kubelet's version."),
        Col.Wide("Internal-IP", "The node's first InternalIP address."),
        Col.Wide("External-IP", "The node's first ExternalIP address."),
        Col.Wide("OS-Image", "The node's operating system image."),
        Col.Wide("Kernel-Version", "The node's kernel version."),
        Col.Wide("Container-Runtime", "The node's container runtime and its version."),
    ], NodeCells);

    private static object[] NodeCells(JsonElement node, DateTimeOffset now)
    {
        // Only the Ready condition counts, and the last one of that type wins (upstream builds a map).
        var ready = node.Items("status", "conditions").LastOrDefault(c => c.Str("type") == "Ready");
        var status = new List<string>(2)
        {
            ready.ValueKind != JsonValueKind.Object ? "Unknown" : ready.Str("status") == "True" ? "Ready" : "NotReady",
        };
        if (node.Bool("spec", "unschedulable"))
        {
            status.Add("SchedulingDisabled");
        }

        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in node.StringMap("metadata", "labels"))
        {
            if (key.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal) && key.Length > "node-role.kubernetes.io/".Length)
            {
                roles.Add(key["node-role.kubernetes.io/".Length..]);
            }
            else if (key == "kubernetes.io/role" && value.Length > 0)
            {
                roles.Add(value);
            }
        }

        string Address(string type) =>
            node.Items("status", "addresses").FirstOrDefault(a => a.Str("type") == type) is { ValueKind: JsonValueKind.Object } a ? a.Str("address") : CellFormat.None;
        string InfoOrUnknown(string field) => node.Str("status", "nodeInfo", field) is { Length: > 0 } s ? s : CellFormat.Unknown;

        return
        [
            CellFormat.Name(node),
            string.Join(",", status),
            roles.Count > 0 ? string.Join(",", roles) : CellFormat.None,
            CellFormat.Age(node, now),
            node.Str("status", "nodeInfo", "kubeletVersion"),
            Address("InternalIP"),
            Address("ExternalIP"),
            InfoOrUnknown("osImage"),
            InfoOrUnknown("kernelVersion"),
            InfoOrUnknown("containerRuntimeVersion"),
        ];
    }

    private static KindPrinter Service() => new("", "Service",
    [
        Col.Name,
        Col.Str("Type", "The service's type."),
        Col.Str("Cluster-IP", "The service's first cluster IP."),
        Col.Str("External-IP", "External IPs, load-balancer ingress points, or the external name."),
        Col.Str("Port(s)", "Ports as port[:nodePort]/protocol."),
        Col.Age,
        Col.Wide("Selector", "The label selector of the pods behind the service."),
    ], (o, now) =>
    [
        CellFormat.Name(o),
        o.Str("spec", "type"),
        ClusterIP(o),
        ServiceExternalIP(o),
        ServicePorts(o),
        CellFormat.Age(o, now),
        CellFormat.Labels(o, "spec", "selector"),
    ]);

    /// <summary>The first of <c>clusterIPs</c>; upstream's read decorator fills it from <c>clusterIP</c> on objects written before it was plural.</summary>
    private static string ClusterIP(JsonElement svc)
    {
        var ip = svc.Items("spec", "clusterIPs").Select(i => i.ValueKind == JsonValueKind.String ? i.GetString()! : "").FirstOrDefault()
            ?? svc.Str("spec", "clusterIP");
        return ip.Length > 0 ? ip : CellFormat.None;
    }

    private static string ServiceExternalIP(JsonElement svc)
    {
        var externalIPs = svc.Items("spec", "externalIPs").Select(i => i.ValueKind == JsonValueKind.String ? i.GetString()! : "").ToList();
        switch (svc.Str("spec", "type"))
        {
            case "ClusterIP" or "NodePort":
                return externalIPs.Count > 0 ? string.Join(",", externalIPs) : CellFormat.None;
            case "LoadBalancer":
                // The server prints wide, so the ingress list is never clipped to 16 characters.
                var ingress = svc.Items("status", "loadBalancer", "ingress")
                    .Select(i => i.Str("ip") is { Length: > 0 } ip ? ip : i.Str("hostname"))
                    .Where(s => s.Length > 0)
                    .Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (externalIPs.Count > 0)
                {
                    return string.Join(",", ingress.Concat(externalIPs));
                }

                return ingress.Count > 0 ? string.Join(",", ingress) : "<pending>";
            case "ExternalName":
                return svc.Str("spec", "externalName");
            default:
                return CellFormat.Unknown;
        }
    }

    private static string ServicePorts(JsonElement svc)
    {
        var ports = svc.Items("spec", "ports").Select(p =>
        {
            var nodePort = p.Int("nodePort");
            return nodePort > 0 ? $"{p.Int("port")}:{nodePort}/{p.Str("protocol")}" : $"{p.Int("port")}/{p.Str("protocol")}";
        });
        var s = string.Join(",", ports);
        return s.Length > 0 ? s : CellFormat.None;
    }

    private static KindPrinter Endpoints() => new("", "Endpoints",
        [Col.Name, Col.Str("Endpoints", "Up to three ip:port endpoints, and how many more there are."), Col.Age],
        (o, now) => [CellFormat.Name(o), FormatEndpoints(o), CellFormat.Age(o, now)]);

    /// <summary>Upstream's <c>formatEndpoints</c> over every port: the first three addresses and a count of the rest.</summary>
    private static string FormatEndpoints(JsonElement endpoints)
    {
        const int Max = 3;
        var subsets = endpoints.Items("subsets");
        if (subsets.Count == 0)
        {
            return CellFormat.None;
        }

        var list = new List<string>(Max);
        var count = 0;
        foreach (var subset in subsets)
        {
            var ips = subset.Items("addresses").Select(a => a.Str("ip")).ToList();
            var ports = subset.Items("ports");
            if (ports.Count == 0)
            {
                // A headless service without ports lists bare addresses.
                count += ips.Count;
                list.AddRange(ips.Take(Max - list.Count));
                continue;
            }

            foreach (var port in ports)
            {
                count += ips.Count;
                var number = CellFormat.Int(port.Int("port"));
                list.AddRange(ips.Take(Max - list.Count).Select(ip => ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]:{number}" : $"{ip}:{number}"));
            }
        }

        var s = string.Join(",", list);
        return count > Max ? $"{s} + {count - Max} more..." : s;
    }

    // A replication controller's selector is a plain label map; a ReplicaSet's is a LabelSelector.
    private static KindPrinter ReplicationController() => ReplicaPrinter("", "ReplicationController", o => CellFormat.Labels(o, "spec", "selector"));

    private static KindPrinter ResourceQuota() => new("", "ResourceQuota",
    [
        Col.Name,
        Col.Str("Request", "Used and hard amounts of the quota's non-limits resources."),
        Col.Str("Limit", "Used and hard amounts of the quota's limits.* resources."),
        Col.Age,
    ], (o, now) =>
    {
        var requests = new List<string>();
        var limits = new List<string>();
        foreach (var resource in o.Props("status", "hard").Select(p => p.Name).Order(StringComparer.Ordinal))
        {
            var pieces = resource.Split('.');
            var column = pieces.Length > 1 && pieces[0] == "limits" ? limits : requests;
            column.Add($"{resource}: {CellFormat.Quantity(o, "status", "used", resource)}/{CellFormat.Quantity(o, "status", "hard", resource)}");
        }

        return [CellFormat.Name(o), string.Join(", ", requests), string.Join(", ", limits), CellFormat.Age(o, now)];
    });

    private static KindPrinter PersistentVolume() => new("", "PersistentVolume",
    [
        Col.Name,
        Col.Str("Capacity", "The volume's storage capacity."),
        Col.Str("Access Modes", "Access modes: RWO, ROX, RWX, RWOP."),
        Col.Str("Reclaim Policy", "What happens to the volume when its claim is released."),
        Col.Str("Status", "The volume's phase, or Terminating."),
        Col.Str("Claim", "The bound claim as namespace/name."),
        Col.Str("StorageClass", "The volume's storage class."),
        Col.Str("VolumeAttributesClass", "The volume's attributes class."),
        Col.Str("Reason", "Why the volume is in its phase."),
        Col.Age,
        Col.Wide("VolumeMode", "Filesystem or Block."),
    ], (o, now) =>
    [
        CellFormat.Name(o),
        CellFormat.Quantity(o, "spec", "capacity", "storage"),
        CellFormat.AccessModes(o, "spec", "accessModes"),
        o.Str("spec", "persistentVolumeReclaimPolicy"),
        o.Has("metadata", "deletionTimestamp") ? "Terminating" : o.Str("status", "phase"),
        o.Obj("spec", "claimRef") is { } claim ? $"{claim.Str("namespace")}/{claim.Str("name")}" : "",
        StorageClass(o, o.Str("spec", "storageClassName")),
        o.StrOrNull("spec", "volumeAttributesClassName") ?? CellFormat.Unset,
        o.Str("status", "reason"),
        CellFormat.Age(o, now),
        o.StrOrNull("spec", "volumeMode") ?? CellFormat.Unset,
    ]);

    private static KindPrinter PersistentVolumeClaim() => new("", "PersistentVolumeClaim",
    [
        Col.Name,
        Col.Str("Status", "The claim's phase, or Terminating."),
        Col.Str("Volume", "The bound volume."),
        Col.Str("Capacity", "The bound volume's capacity."),
        Col.Str("Access Modes", "The bound volume's access modes."),
        Col.Str("StorageClass", "The claim's storage class."),
        Col.Str("VolumeAttributesClass", "The claim's attributes class."),
        Col.Age,
        Col.Wide("VolumeMode", "Filesystem or Block."),
    ], (o, now) =>
    {
        // Capacity and access modes describe the bound volume, so they stay empty until there is one.
        var bound = o.Str("spec", "volumeName").Length > 0;
        return
        [
            CellFormat.Name(o),
            o.Has("metadata", "deletionTimestamp") ? "Terminating" : o.Str("status", "phase"),
            o.Str("spec", "volumeName"),
            bound ? CellFormat.Quantity(o, "status", "capacity", "storage") : "",
            bound ? CellFormat.AccessModes(o, "status", "accessModes") : "",
            StorageClass(o, o.Str("spec", "storageClassName")),
            o.StrOrNull("spec", "volumeAttributesClassName") ?? CellFormat.Unset,
            CellFormat.Age(o, now),
            o.StrOrNull("spec", "volumeMode") ?? CellFormat.Unset,
        ];
    });

    /// <summary>The deprecated beta annotation wins over the spec field whenever it is present, even empty.</summary>
    private static string StorageClass(JsonElement obj, string specClass) =>
        obj.Obj("metadata", "annotations") is { } annotations && annotations.TryGetProperty("volume.beta.kubernetes.io/storage-class", out var a)
            ? (a.ValueKind == JsonValueKind.String ? a.GetString()! : "")
            : specClass;
}
