using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Dns.Registration;

/// <summary>
/// Makes the server upstream's kube-dns: the Service <c>kube-system/kube-dns</c> (k3s's labels, the requested cluster IP,
/// ports dns 53/UDP, dns-tcp 53/TCP, metrics 9153/TCP, no selector), and, since no selector means no controller fills
/// them, its Endpoints and an EndpointSlice listing this server's advertised addresses on the port it really listens on.
/// <para>
/// Contract: <see cref="EnsureAsync"/> is idempotent: it creates what is missing and rewrites what differs from the
/// desired state (an edit by someone else is undone), keeping the Service's allocated cluster IP, which is immutable.
/// It throws on API errors (a lost update conflict included); the caller retries.
/// </para>
/// </summary>
internal sealed partial class KubeDnsRegistration(IKubernetes client, IReadOnlyList<IPAddress> addresses, int port, IPAddress serviceIp, ILogger logger)
{
    public const string Namespace = "kube-system";
    public const string Name = "kube-dns";

    /// <summary>The EndpointSlice's name: not one the EndpointSlice controllers would make (theirs end in a random suffix).</summary>
    public const string SliceName = "kube-dns-kubesharp";

    /// <summary>The managed-by label value of the slice, so that the EndpointSlice controller leaves it alone.</summary>
    public const string ManagedBy = "kubesharp-dns";

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await EnsureServiceAsync(cancellationToken).ConfigureAwait(false);
        await EnsureEndpointsAsync(cancellationToken).ConfigureAwait(false);
        await EnsureSliceAsync(cancellationToken).ConfigureAwait(false);
    }

    internal V1Service DesiredService() => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta
        {
            Name = Name,
            NamespaceProperty = Namespace,
            Labels = new Dictionary<string, string>
            {
                ["k8s-app"] = "kube-dns",
                ["kubernetes.io/cluster-service"] = "true",
                ["kubernetes.io/name"] = "CoreDNS",
            },
            Annotations = new Dictionary<string, string>
            {
                ["prometheus.io/port"] = "9153",
                ["prometheus.io/scrape"] = "true",
            },
        },
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            ClusterIP = serviceIp.ToString(),
            ClusterIPs = [serviceIp.ToString()],
            Ports =
            [
                new V1ServicePort { Name = "dns", Port = 53, Protocol = "UDP", TargetPort = port },
                new V1ServicePort { Name = "dns-tcp", Port = 53, Protocol = "TCP", TargetPort = port },
                new V1ServicePort { Name = "metrics", Port = 9153, Protocol = "TCP", TargetPort = 9153 },
            ],
        },
    };

    private static List<(string Name, string Protocol)> DnsPorts() => [("dns", "UDP"), ("dns-tcp", "TCP")];

    internal V1Endpoints DesiredEndpoints() => new()
    {
        ApiVersion = "v1",
        Kind = "Endpoints",
        Metadata = new V1ObjectMeta
        {
            Name = Name,
            NamespaceProperty = Namespace,
            Labels = new Dictionary<string, string>
            {
                ["k8s-app"] = "kube-dns",
                // The EndpointSlice mirroring controller would copy these into a second slice: this server writes its own.
                ["endpointslice.kubernetes.io/skip-mirror"] = "true",
            },
        },
        Subsets =
        [
            new V1EndpointSubset
            {
                Addresses = [.. addresses.Select(a => new V1EndpointAddress { Ip = a.ToString() })],
                Ports = [.. DnsPorts().Select(p => new Corev1EndpointPort { Name = p.Name, Port = port, Protocol = p.Protocol })],
            },
        ],
    };

    internal V1EndpointSlice DesiredSlice() => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta
        {
            Name = SliceName,
            NamespaceProperty = Namespace,
            Labels = new Dictionary<string, string>
            {
                ["k8s-app"] = "kube-dns",
                ["kubernetes.io/service-name"] = Name,
                ["endpointslice.kubernetes.io/managed-by"] = ManagedBy,
            },
        },
        AddressType = addresses.Count > 0 && addresses[0].AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4",
        Endpoints = [.. addresses.Select(a => new V1Endpoint { Addresses = [a.ToString()], Conditions = new V1EndpointConditions { Ready = true, Serving = true, Terminating = false } })],
        Ports = [.. DnsPorts().Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = port, Protocol = p.Protocol })],
    };

    private async Task EnsureServiceAsync(CancellationToken cancellationToken)
    {
        var desired = DesiredService();
        var existing = await ReadAsync(() => client.CoreV1.ReadNamespacedServiceAsync(Name, Namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (existing is null)
        {
            await client.CoreV1.CreateNamespacedServiceAsync(desired, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.Created(logger, "Service", Namespace, Name);
            return;
        }

        if (ServiceMatches(existing, desired))
        {
            return;
        }

        // The cluster IP is immutable once allocated: keep the one the Service has.
        desired.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
        if (!string.IsNullOrEmpty(existing.Spec?.ClusterIP))
        {
            desired.Spec.ClusterIP = existing.Spec.ClusterIP;
            desired.Spec.ClusterIPs = existing.Spec.ClusterIPs;
        }

        desired.Metadata.Labels = Merge(existing.Metadata.Labels, desired.Metadata.Labels);
        desired.Metadata.Annotations = Merge(existing.Metadata.Annotations, desired.Metadata.Annotations);
        await client.CoreV1.ReplaceNamespacedServiceAsync(desired, Name, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        Log.Restored(logger, "Service", Namespace, Name);
    }

    private async Task EnsureEndpointsAsync(CancellationToken cancellationToken)
    {
        var desired = DesiredEndpoints();
        var existing = await ReadAsync(() => client.CoreV1.ReadNamespacedEndpointsAsync(Name, Namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (existing is null)
        {
            await client.CoreV1.CreateNamespacedEndpointsAsync(desired, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.Created(logger, "Endpoints", Namespace, Name);
            return;
        }

        if (LabelsContain(existing.Metadata.Labels, desired.Metadata.Labels) && Same(existing.Subsets, desired.Subsets))
        {
            return;
        }

        desired.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
        desired.Metadata.Labels = Merge(existing.Metadata.Labels, desired.Metadata.Labels);
        await client.CoreV1.ReplaceNamespacedEndpointsAsync(desired, Name, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        Log.Restored(logger, "Endpoints", Namespace, Name);
    }

    private async Task EnsureSliceAsync(CancellationToken cancellationToken)
    {
        var desired = DesiredSlice();
        var existing = await ReadAsync(() => client.DiscoveryV1.ReadNamespacedEndpointSliceAsync(SliceName, Namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (existing is null)
        {
            await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(desired, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.Created(logger, "EndpointSlice", Namespace, SliceName);
            return;
        }

        if (LabelsContain(existing.Metadata.Labels, desired.Metadata.Labels) && existing.AddressType == desired.AddressType
            && Same(existing.Endpoints?.Select(e => (string.Join(",", e.Addresses ?? []), e.Conditions?.Ready)), desired.Endpoints.Select(e => (string.Join(",", e.Addresses), e.Conditions?.Ready)))
            && Same(existing.Ports?.Select(p => (p.Name, p.Port, p.Protocol)), desired.Ports.Select(p => (p.Name, p.Port, p.Protocol))))
        {
            return;
        }

        desired.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
        desired.Metadata.Labels = Merge(existing.Metadata.Labels, desired.Metadata.Labels);
        await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(desired, SliceName, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        Log.Restored(logger, "EndpointSlice", Namespace, SliceName);
    }

    private static bool ServiceMatches(V1Service existing, V1Service desired) =>
        LabelsContain(existing.Metadata.Labels, desired.Metadata.Labels)
        && (existing.Spec?.Selector is null || existing.Spec.Selector.Count == 0)
        && existing.Spec?.Type == "ClusterIP"
        && Same(
            existing.Spec.Ports?.Select(p => (p.Name, p.Port, p.Protocol, p.TargetPort?.Value)),
            desired.Spec.Ports.Select(p => (p.Name, p.Port, p.Protocol, p.TargetPort?.Value)));

    private static bool Same<T>(IEnumerable<T>? a, IEnumerable<T>? b) => (a ?? []).SequenceEqual(b ?? []);

    private static bool Same(IList<V1EndpointSubset>? a, IList<V1EndpointSubset> b) =>
        a is { Count: 1 } && b.Count == 1
        && Same(a[0].Addresses?.Select(x => x.Ip), b[0].Addresses?.Select(x => x.Ip))
        && (a[0].NotReadyAddresses is null || a[0].NotReadyAddresses.Count == 0)
        && Same(a[0].Ports?.Select(p => (p.Name, p.Port, p.Protocol)), b[0].Ports?.Select(p => (p.Name, p.Port, p.Protocol)));

    private static bool LabelsContain(IDictionary<string, string>? actual, IDictionary<string, string> wanted) =>
        wanted.All(w => actual is not null && actual.TryGetValue(w.Key, out var v) && v == w.Value);

    private static Dictionary<string, string> Merge(IDictionary<string, string>? existing, IDictionary<string, string> wanted)
    {
        var merged = existing is null ? [] : new Dictionary<string, string>(existing);
        foreach (var (key, value) in wanted)
        {
            merged[key] = value;
        }

        return merged;
    }

    private static async Task<T?> ReadAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "cluster DNS: created {Kind} {Namespace}/{Name}")]
        public static partial void Created(ILogger logger, string kind, string @namespace, string name);

        [LoggerMessage(Level = LogLevel.Information, Message = "cluster DNS: {Kind} {Namespace}/{Name} differed from what the DNS server registers; rewritten")]
        public static partial void Restored(ILogger logger, string kind, string @namespace, string name);
    }
}
