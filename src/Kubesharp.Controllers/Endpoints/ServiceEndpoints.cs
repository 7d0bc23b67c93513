using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Endpoints;

/// <summary>
/// What the endpoints and EndpointSlice controllers share about a Service and its pods (upstream's
/// <c>k8s.io/endpointslice/util</c> and <c>podutil.FindPort</c>): which services a controller fills, which pods
/// get an endpoint, which addresses and ports a pod offers a service, and the well-known labels and annotations.
/// Pure functions over cached (read-only) objects; thread-safe.
/// </summary>
internal static class ServiceEndpoints
{
    /// <summary>Upstream's <c>v1.IsHeadlessService</c> label, set (empty) on the Endpoints and slices of a service without a cluster IP.</summary>
    public const string HeadlessLabel = "service.kubernetes.io/headless";

    /// <summary>Upstream's <c>v1.EndpointsLastChangeTriggerTime</c>.</summary>
    public const string LastChangeTriggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time";

    public const string ClusterIpNone = "None";

    public const string IPv4 = "IPv4";

    public const string IPv6 = "IPv6";

    /// <summary>
    /// Whether a controller fills this service: not ExternalName, and with a selector. A service without one gets
    /// its endpoints from its user. An empty selector counts as none: upstream's API drops an empty map
    /// (omitempty), so what it stores for <c>selector: {}</c> reads back as no selector.
    /// </summary>
    public static bool IsSelectorBased(V1Service service) =>
        service.Spec?.Type != "ExternalName" && service.Spec?.Selector is { Count: > 0 };

    /// <summary><c>helper.IsServiceIPSet</c>: a cluster IP other than None.</summary>
    public static bool IsServiceIpSet(V1Service service) =>
        service.Spec?.ClusterIP is { Length: > 0 } ip && ip != ClusterIpNone;

    public static bool IsHeadlessWithoutIp(V1Service service) => service.Spec?.ClusterIP == ClusterIpNone;

    /// <summary>The selector as a label set: every pair must be among the pod's labels.</summary>
    public static bool Selects(IDictionary<string, string> selector, IDictionary<string, string>? labels)
    {
        foreach (var (key, value) in selector)
        {
            if (labels is null || !labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The pods of the service's namespace that its selector selects (none without a selector).</summary>
    public static List<V1Pod> SelectedPods(IIndexReader<V1Pod> pods, V1Service service)
    {
        var result = new List<V1Pod>();
        if (!IsSelectorBased(service))
        {
            return result;
        }

        foreach (var pod in pods.ByIndex(Indexers.Namespace, service.Metadata.NamespaceProperty ?? ""))
        {
            if (Selects(service.Spec.Selector, pod.Metadata.Labels))
            {
                result.Add(pod);
            }
        }

        return result;
    }

    /// <summary>
    /// Upstream's <c>ShouldPodBeInEndpoints</c> (v1.32): not terminal (phase Succeeded or Failed, whatever the
    /// restart policy: the older restartPolicy rules are gone), with an IP, and not being deleted unless
    /// <paramref name="includeTerminating"/>.
    /// </summary>
    public static bool ShouldPodBeInEndpoints(V1Pod pod, bool includeTerminating)
    {
        if (pod.Status?.Phase is Pods.Succeeded or Pods.Failed)
        {
            return false;
        }

        if (string.IsNullOrEmpty(pod.Status?.PodIP) && pod.Status?.PodIPs is not { Count: > 0 })
        {
            return false;
        }

        return includeTerminating || pod.Metadata.DeletionTimestamp is null;
    }

    /// <summary>Upstream's <c>ShouldSetHostname</c>: the pod names a hostname and has this service as its subdomain.</summary>
    public static bool ShouldSetHostname(V1Pod pod, V1Service service) =>
        !string.IsNullOrEmpty(pod.Spec?.Hostname)
        && pod.Spec.Subdomain == service.Metadata.Name
        && service.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty;

    /// <summary>
    /// Upstream's <c>FindPort</c>: a numeric targetPort is the port; a named one is looked up among the container
    /// ports (then those of sidecars: init containers with restartPolicy Always) of the same name and protocol.
    /// Null when the pod has no such port: the pod is then left out for that service port.
    /// </summary>
    public static int? FindPort(V1Pod pod, V1ServicePort servicePort)
    {
        var target = servicePort.TargetPort?.Value;
        if (string.IsNullOrEmpty(target))
        {
            // The API server defaults targetPort to port; an object that missed defaulting reads the same way.
            return servicePort.Port;
        }

        if (int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        var protocol = servicePort.Protocol ?? "TCP";
        foreach (var container in pod.Spec?.Containers ?? [])
        {
            if (NamedPort(container.Ports, target, protocol) is { } port)
            {
                return port;
            }
        }

        foreach (var container in pod.Spec?.InitContainers ?? [])
        {
            if (container.RestartPolicy == "Always" && NamedPort(container.Ports, target, protocol) is { } port)
            {
                return port;
            }
        }

        return null;
    }

    private static int? NamedPort(IList<V1ContainerPort>? ports, string name, string protocol)
    {
        foreach (var port in ports ?? [])
        {
            if (port.Name == name && (port.Protocol ?? "TCP") == protocol)
            {
                return port.ContainerPort;
            }
        }

        return null;
    }

    /// <summary>
    /// The pod's IPs: <c>status.podIPs</c>, or <c>status.podIP</c> alone when podIPs is empty (upstream's API
    /// server always fills podIPs from podIP; a client of this one may have written only podIP).
    /// </summary>
    public static IEnumerable<string> PodIps(V1Pod pod)
    {
        if (pod.Status?.PodIPs is { Count: > 0 } ips)
        {
            return ips.Select(i => i.Ip).Where(ip => !string.IsNullOrEmpty(ip));
        }

        return string.IsNullOrEmpty(pod.Status?.PodIP) ? [] : [pod.Status.PodIP];
    }

    /// <summary>The address in its canonical text, and whether it is IPv6; null when it is not an IP.</summary>
    public static (string Text, bool IsV6)? ParseIp(string text) =>
        IPAddress.TryParse(text, out var ip) ? (ip.ToString(), ip.AddressFamily == AddressFamily.InterNetworkV6) : null;

    public static bool IsIPv6(string? text) => text is not null && ParseIp(text) is { IsV6: true };

    /// <summary>
    /// Upstream's <c>podEndpointsChanged</c>: whether the pod changed in a way its endpoints show (being deleted,
    /// readiness, IPs), and whether its labels (or hostname and subdomain) changed, which can change the
    /// services that select it.
    /// </summary>
    public static (bool PodChanged, bool LabelsChanged) PodEndpointsChanged(V1Pod old, V1Pod cur)
    {
        var labelsChanged = !Objects.SameLabels(old.Metadata.Labels, cur.Metadata.Labels)
            || old.Spec?.Hostname != cur.Spec?.Hostname
            || old.Spec?.Subdomain != cur.Spec?.Subdomain;

        // Upstream compares the deletionTimestamp pointers, which differ on every update of a pod being deleted.
        if (old.Metadata.DeletionTimestamp is not null || cur.Metadata.DeletionTimestamp is not null)
        {
            return (true, labelsChanged);
        }

        if (Pods.IsReady(old) != Pods.IsReady(cur))
        {
            return (true, labelsChanged);
        }

        return (!PodIps(old).SequenceEqual(PodIps(cur), StringComparer.Ordinal), labelsChanged);
    }

    /// <summary>Keys of the selector-based services of <paramref name="ns"/> whose selector selects <paramref name="labels"/>.</summary>
    public static HashSet<string> ServicesSelecting(IIndexReader<V1Service> services, string ns, IDictionary<string, string>? labels)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in services.ByIndex(Indexers.Namespace, ns))
        {
            if (IsSelectorBased(service) && Selects(service.Spec.Selector, labels))
            {
                keys.Add(ObjectKeys.For(service));
            }
        }

        return keys;
    }

    /// <summary>
    /// Upstream's <c>GetServicesToUpdateOnPodChange</c>: nothing for a resync (same resourceVersion) or a change
    /// endpoints do not show; the services of the new labels; when the labels changed, also those of the old
    /// ones: all of them when the pod changed too, else only the services that gained or lost the pod.
    /// </summary>
    public static HashSet<string> ServicesToUpdateOnPodChange(IIndexReader<V1Service> services, V1Pod old, V1Pod cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return [];
        }

        var (podChanged, labelsChanged) = PodEndpointsChanged(old, cur);
        if (!podChanged && !labelsChanged)
        {
            return [];
        }

        var ns = cur.Metadata.NamespaceProperty ?? "";
        var keys = ServicesSelecting(services, ns, cur.Metadata.Labels);
        if (labelsChanged)
        {
            var oldKeys = ServicesSelecting(services, ns, old.Metadata.Labels);
            if (podChanged)
            {
                keys.UnionWith(oldKeys);
            }
            else
            {
                keys.SymmetricExceptWith(oldKeys);
            }
        }

        return keys;
    }

    /// <summary>Go's <c>time.RFC3339Nano</c> in UTC: fractional seconds without trailing zeros, none when whole.</summary>
    public static string Rfc3339Nano(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var fraction = utc.Ticks % TimeSpan.TicksPerSecond;
        if (fraction != 0)
        {
            text += "." + fraction.ToString("0000000", CultureInfo.InvariantCulture).TrimEnd('0');
        }

        return text + "Z";
    }
}
