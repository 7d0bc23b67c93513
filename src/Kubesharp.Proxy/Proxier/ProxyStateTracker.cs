using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Proxier;

/// <summary>
/// Upstream's <c>ServiceChangeTracker</c> and <c>EndpointsChangeTracker</c> with its <c>EndpointSliceCache</c> in one:
/// informers hand it every Service and EndpointSlice change; it keeps each Service's ports
/// (<see cref="ServicePortInfo"/>) and its slices, merges the slices into the endpoints of each port (by port name and
/// protocol, deduplicated by <c>IP:port</c>, sorted by it) and builds a <see cref="ProxySnapshot"/> in a stable order
/// (namespace, name, then the Service's port order), so that two renders of the same state are the same bytes.
/// <para>
/// A Service contributes nothing when it has no IPv4 cluster IP (headless <c>None</c>, ExternalName, dual-stack IPv6
/// only) or carries the <c>service.kubernetes.io/service-proxy-name</c> label (another proxy's). Only IPv4 slices count.
/// </para>
/// <para>
/// Thread-safe: updates come from the informers' handler tasks, <see cref="Snapshot"/> from the sync loop. Each Service's
/// merged entry is rebuilt only when that Service or one of its slices changed, so a snapshot of a large cluster costs
/// one list copy.
/// </para>
/// </summary>
public sealed class ProxyStateTracker(string nodeName)
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ServiceProxyNameLabel = "service.kubernetes.io/service-proxy-name";

    /// <summary>Upstream's default <c>sessionAffinityConfig.clientIP.timeoutSeconds</c> (3 hours).</summary>
    public const int DefaultStickyMaxAgeSeconds = 10800;

    private readonly Lock _lock = new();
    private readonly SortedDictionary<(string Namespace, string Name), ServiceState> _services = [];
    private readonly HashSet<(string Namespace, string Name)> _changed = [];
    private long _generation;

    public string NodeName { get; } = nodeName;

    /// <summary>Increases with every change that alters the snapshot.</summary>
    public long Generation
    {
        get
        {
            lock (_lock)
            {
                return _generation;
            }
        }
    }

    /// <summary>A Service was added or changed; true when the proxy's view changed.</summary>
    public bool UpdateService(V1Service service) => SetService((service.Metadata.NamespaceProperty ?? "", service.Metadata.Name), service);

    public bool DeleteService(V1Service service) => SetService((service.Metadata.NamespaceProperty ?? "", service.Metadata.Name), null);

    /// <summary>An EndpointSlice was added or changed; true when the proxy's view changed.</summary>
    public bool UpdateEndpointSlice(V1EndpointSlice slice) => SetSlice(slice, deleted: false);

    public bool DeleteEndpointSlice(V1EndpointSlice slice) => SetSlice(slice, deleted: true);

    /// <summary>Every proxied Service port with its endpoints, in the stable order.</summary>
    public ProxySnapshot Snapshot()
    {
        lock (_lock)
        {
            var list = new List<ServicePortEndpoints>(_services.Count);
            foreach (var state in _services.Values)
            {
                list.AddRange(state.Merged());
            }

            return new ProxySnapshot(list);
        }
    }

    /// <summary>
    /// In one step: the generation, the snapshot, and the Services (namespace, name) changed since the last
    /// <see cref="TakeChanged"/> or <see cref="SnapshotAndTakeChanged"/>, which are forgotten. One step, so that no
    /// change falls between a snapshot and the changed set a partial sync renders from it.
    /// </summary>
    public (long Generation, ProxySnapshot Snapshot, IReadOnlySet<(string Namespace, string Name)> Changed) SnapshotAndTakeChanged()
    {
        lock (_lock)
        {
            var generation = _generation;
            var snapshot = Snapshot();
            return (generation, snapshot, TakeChanged());
        }
    }

    /// <summary>The Services (namespace, name) changed since the last call, and forgets them (for partial syncs and logs).</summary>
    public IReadOnlySet<(string Namespace, string Name)> TakeChanged()
    {
        lock (_lock)
        {
            var changed = new HashSet<(string, string)>(_changed);
            _changed.Clear();
            return changed;
        }
    }

    private bool SetService((string Namespace, string Name) key, V1Service? service)
    {
        var ports = service is null ? [] : PortsOf(service);
        lock (_lock)
        {
            if (!_services.TryGetValue(key, out var state))
            {
                if (ports.Count == 0)
                {
                    return false;
                }

                state = new ServiceState(NodeName);
                _services[key] = state;
            }

            if (SamePorts(state.Ports, ports))
            {
                return false;
            }

            state.SetPorts(ports);
            Changed(key, state);
            return true;
        }
    }

    private bool SetSlice(V1EndpointSlice slice, bool deleted)
    {
        if (slice.Metadata.Labels?.TryGetValue(ServiceNameLabel, out var serviceName) != true || string.IsNullOrEmpty(serviceName))
        {
            return false;
        }

        var key = (slice.Metadata.NamespaceProperty ?? "", serviceName);
        lock (_lock)
        {
            if (!_services.TryGetValue(key, out var state))
            {
                if (deleted)
                {
                    return false;
                }

                // The slice may come before its Service: keep it for when the Service arrives.
                state = new ServiceState(NodeName);
                _services[key] = state;
            }

            if (!state.SetSlice(slice, deleted))
            {
                return false;
            }

            Changed(key, state);
            return true;
        }
    }

    private void Changed((string Namespace, string Name) key, ServiceState state)
    {
        _generation++;
        _changed.Add(key);
        if (state.Ports.Count == 0 && state.SliceCount == 0)
        {
            _services.Remove(key);
        }
    }

    /// <summary>Upstream's <c>newBaseServiceInfo</c> for each port of an IPv4-proxied Service; empty when the Service is not proxied.</summary>
    internal static List<ServicePortInfo> PortsOf(V1Service service)
    {
        var spec = service.Spec;
        if (spec is null || spec.Type == "ExternalName" || service.Metadata.Labels?.ContainsKey(ServiceProxyNameLabel) == true)
        {
            return [];
        }

        var clusterIp = FirstIpv4(spec.ClusterIPs ?? (spec.ClusterIP is { } one ? [one] : []));
        if (clusterIp is null || spec.Ports is null)
        {
            return [];
        }

        // Upstream's apiservice.ExternallyAccessible: the policy applies to NodePort and LoadBalancer Services and to
        // ClusterIP Services with external IPs.
        var externallyAccessible = spec.Type is "NodePort" or "LoadBalancer" || (spec.Type is null or "ClusterIP" && spec.ExternalIPs is { Count: > 0 });
        var externalLocal = externallyAccessible && spec.ExternalTrafficPolicy == "Local";
        var sticky = spec.SessionAffinity == "ClientIP"
            ? spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds ?? DefaultStickyMaxAgeSeconds
            : 0;
        var externalIps = (spec.ExternalIPs ?? []).Where(IsIpv4).ToList();
        var lbIps = (service.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip).Where(ip => ip is not null && IsIpv4(ip)).Select(ip => ip!).ToList();
        var ports = new List<ServicePortInfo>(spec.Ports.Count);
        foreach (var p in spec.Ports)
        {
            var protocol = string.IsNullOrEmpty(p.Protocol) ? "TCP" : p.Protocol;
            ports.Add(new ServicePortInfo
            {
                Name = new ServicePortName(service.Metadata.NamespaceProperty ?? "", service.Metadata.Name, p.Name ?? "", protocol),
                ClusterIp = clusterIp,
                Port = p.Port,
                Protocol = protocol,
                NodePort = p.NodePort ?? 0,
                ExternalIps = externalIps,
                LoadBalancerIps = lbIps,
                StickyMaxAgeSeconds = sticky,
                ExternalPolicyLocal = externalLocal,
                InternalPolicyLocal = spec.InternalTrafficPolicy == "Local",
                HealthCheckNodePort = externalLocal ? spec.HealthCheckNodePort ?? 0 : 0,
            });
        }

        return ports;
    }

    /// <summary>Record equality compares the address lists by reference; this compares them by content.</summary>
    private static bool SamePorts(List<ServicePortInfo> a, List<ServicePortInfo> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            var x = a[i];
            var y = b[i];
            if (x with { ExternalIps = Array.Empty<string>(), LoadBalancerIps = Array.Empty<string>() } != y with { ExternalIps = Array.Empty<string>(), LoadBalancerIps = Array.Empty<string>() }
                || !x.ExternalIps.SequenceEqual(y.ExternalIps) || !x.LoadBalancerIps.SequenceEqual(y.LoadBalancerIps))
            {
                return false;
            }
        }

        return true;
    }

    private static string? FirstIpv4(IEnumerable<string> ips) => ips.FirstOrDefault(IsIpv4);

    private static bool IsIpv4(string ip) => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetwork;

    /// <summary>One Service: its ports, its slices by name, and the merge of both, rebuilt lazily.</summary>
    private sealed class ServiceState(string nodeName)
    {
        private readonly SortedDictionary<string, V1EndpointSlice> _slices = new(StringComparer.Ordinal);
        private List<ServicePortEndpoints>? _merged;

        public List<ServicePortInfo> Ports { get; private set; } = [];

        public int SliceCount => _slices.Count;

        public void SetPorts(List<ServicePortInfo> ports)
        {
            Ports = ports;
            _merged = null;
        }

        public bool SetSlice(V1EndpointSlice slice, bool deleted)
        {
            var name = slice.Metadata.Name;
            if (deleted)
            {
                if (!_slices.Remove(name))
                {
                    return false;
                }
            }
            else
            {
                if (_slices.TryGetValue(name, out var old) && old.Metadata.ResourceVersion is { } rv && rv == slice.Metadata.ResourceVersion)
                {
                    // A resync or relist delivers the same object again.
                    return false;
                }

                _slices[name] = slice;
            }

            _merged = null;
            return true;
        }

        public List<ServicePortEndpoints> Merged() => _merged ??= Merge();

        private List<ServicePortEndpoints> Merge()
        {
            var result = new List<ServicePortEndpoints>(Ports.Count);
            foreach (var port in Ports)
            {
                var set = new Dictionary<string, EndpointInfo>(StringComparer.Ordinal);
                foreach (var slice in _slices.Values)
                {
                    if (slice.AddressType != "IPv4" || slice.Ports is null || slice.Endpoints is null)
                    {
                        continue;
                    }

                    foreach (var sp in slice.Ports)
                    {
                        if ((sp.Name ?? "") != port.Name.Port || (string.IsNullOrEmpty(sp.Protocol) ? "TCP" : sp.Protocol) != port.Protocol || sp.Port is not { } number)
                        {
                            continue;
                        }

                        foreach (var e in slice.Endpoints)
                        {
                            if (e.Addresses is not { Count: > 0 } || !IPAddress.TryParse(e.Addresses[0], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                            {
                                continue;
                            }

                            // Upstream's endpointSliceCache: absent conditions are ready and serving, not terminating.
                            var ready = e.Conditions?.Ready ?? true;
                            var info = new EndpointInfo
                            {
                                Ip = ip.ToString(),
                                Port = number,
                                Ready = ready,
                                Serving = e.Conditions?.Serving ?? true,
                                Terminating = e.Conditions?.Terminating ?? false,
                                NodeName = e.NodeName,
                                IsLocal = e.NodeName is not null && e.NodeName == nodeName,
                            };

                            // Overlapping slices during an update: one entry per address, a local one preferred.
                            if (!set.ContainsKey(info.Address) || info.IsLocal)
                            {
                                set[info.Address] = info;
                            }
                        }
                    }
                }

                var endpoints = set.Values.ToList();
                endpoints.Sort(static (a, b) => string.CompareOrdinal(a.Address, b.Address));
                result.Add(new ServicePortEndpoints(port, endpoints));
            }

            return result;
        }
    }
}
