using k8s.Models;
using Kubesharp.Kubelet.Cri.V1;

namespace Kubesharp.Kubelet.Pods;

/// <summary>
/// The CRI sandbox of a pod (upstream's <c>kuberuntime_sandbox.go</c>): metadata and labels that identify it, hostname,
/// DNS per <c>dnsPolicy</c>, hostPort mappings, the log directory, and the cgroup parent of its QoS class.
/// </summary>
public sealed class SandboxConfigBuilder(KubeletOptions options, KubeletPaths paths, string hostResolvConf = "/etc/resolv.conf")
{
    /// <summary>Upstream's limits on what a resolv.conf may carry.</summary>
    private const int MaxDnsSearchPaths = 32;

    public PodSandboxConfig Build(V1Pod pod, uint attempt, out string? dnsWarning)
    {
        var meta = pod.Metadata;
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = meta.Name, Namespace = meta.NamespaceProperty, Uid = meta.Uid, Attempt = attempt },
            Hostname = Hostname(pod),
            LogDirectory = paths.PodLogsDir(meta.NamespaceProperty, meta.Name, meta.Uid),
            DnsConfig = Dns(pod, out dnsWarning),
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = CgroupParent(pod),
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = new NamespaceOption
                    {
                        Network = pod.Spec.HostNetwork == true ? NamespaceMode.Node : NamespaceMode.Pod,
                        Pid = pod.Spec.HostPID == true ? NamespaceMode.Node : pod.Spec.ShareProcessNamespace == true ? NamespaceMode.Pod : NamespaceMode.Container,
                        Ipc = pod.Spec.HostIPC == true ? NamespaceMode.Node : NamespaceMode.Pod,
                    },
                    Privileged = AnyPrivileged(pod),
                },
            },
        };
        if (pod.Spec.SecurityContext?.RunAsUser is { } uid)
        {
            config.Linux.SecurityContext.RunAsUser = new Int64Value { Value = uid };
        }

        if (pod.Spec.SecurityContext?.RunAsGroup is { } gid)
        {
            config.Linux.SecurityContext.RunAsGroup = new Int64Value { Value = gid };
        }

        foreach (var sysctl in pod.Spec.SecurityContext?.Sysctls ?? [])
        {
            config.Linux.Sysctls[sysctl.Name] = sysctl.Value;
        }

        config.Labels.Add(RuntimeLabels.PodName, meta.Name);
        config.Labels.Add(RuntimeLabels.PodNamespace, meta.NamespaceProperty);
        config.Labels.Add(RuntimeLabels.PodUid, meta.Uid);
        config.Labels.Add(RuntimeLabels.ManagedBy, "true");
        foreach (var (k, v) in meta.Labels ?? new Dictionary<string, string>())
        {
            config.Labels.TryAdd(k, v);
        }

        foreach (var (k, v) in meta.Annotations ?? new Dictionary<string, string>())
        {
            config.Annotations.TryAdd(k, v);
        }

        foreach (var container in pod.Spec.Containers ?? [])
        {
            foreach (var port in container.Ports ?? [])
            {
                if (port.HostPort is not { } hostPort || hostPort <= 0)
                {
                    continue;
                }

                config.PortMappings.Add(new PortMapping
                {
                    ContainerPort = port.ContainerPort,
                    HostPort = hostPort,
                    HostIp = port.HostIP ?? "",
                    Protocol = port.Protocol switch { "UDP" => Protocol.Udp, "SCTP" => Protocol.Sctp, _ => Protocol.Tcp },
                });
            }
        }

        return config;
    }

    /// <summary><c>spec.hostname</c>, else the pod name cut to 63 characters (upstream's <c>GeneratePodHostNameAndDomain</c>).</summary>
    public static string Hostname(V1Pod pod)
    {
        var name = string.IsNullOrEmpty(pod.Spec.Hostname) ? pod.Metadata.Name : pod.Spec.Hostname;
        return name.Length > 63 ? name[..63].TrimEnd('-', '.') : name;
    }

    /// <summary>The cgroupfs parent of the pod: <c>/kubepods[/burstable|/besteffort]/pod&lt;uid&gt;</c>.</summary>
    public static string CgroupParent(V1Pod pod) => QosClass.Of(pod) switch
    {
        "Guaranteed" => $"/kubepods/pod{pod.Metadata.Uid}",
        "Burstable" => $"/kubepods/burstable/pod{pod.Metadata.Uid}",
        _ => $"/kubepods/besteffort/pod{pod.Metadata.Uid}",
    };

    private static bool AnyPrivileged(V1Pod pod) =>
        (pod.Spec.Containers ?? []).Concat(pod.Spec.InitContainers ?? []).Any(c => c.SecurityContext?.Privileged == true);

    /// <summary>The pod's DNS configuration by upstream's rules (<c>pkg/kubelet/network/dns</c>).</summary>
    public DNSConfig Dns(V1Pod pod, out string? warning)
    {
        warning = null;
        var policy = pod.Spec.DnsPolicy ?? "ClusterFirst";
        if (policy == "ClusterFirst" && pod.Spec.HostNetwork == true)
        {
            policy = "Default";
        }
        else if (policy == "ClusterFirstWithHostNet")
        {
            policy = "ClusterFirst";
        }

        if (policy == "ClusterFirst" && options.ClusterDns.Count == 0)
        {
            warning = $"pod: \"{Probes.PodFormat.Describe(pod)}\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy.";
            policy = "Default";
        }

        var config = new DNSConfig();
        switch (policy)
        {
            case "ClusterFirst":
                config.Servers.AddRange(options.ClusterDns);
                config.Searches.Add($"{pod.Metadata.NamespaceProperty}.svc.{options.ClusterDomain}");
                config.Searches.Add($"svc.{options.ClusterDomain}");
                config.Searches.Add(options.ClusterDomain);
                config.Searches.AddRange(HostResolvConf().Searches);
                config.Options.Add("ndots:5");
                break;
            case "Default":
                var host = HostResolvConf();
                config.Servers.AddRange(host.Servers);
                config.Searches.AddRange(host.Searches);
                config.Options.AddRange(host.Options);
                break;
            default:
                break;
        }

        if (pod.Spec.DnsConfig is { } custom)
        {
            foreach (var server in custom.Nameservers ?? [])
            {
                if (!config.Servers.Contains(server))
                {
                    config.Servers.Add(server);
                }
            }

            foreach (var search in custom.Searches ?? [])
            {
                if (!config.Searches.Contains(search))
                {
                    config.Searches.Add(search);
                }
            }

            foreach (var option in custom.Options ?? [])
            {
                var text = option.Value is null ? option.Name : $"{option.Name}:{option.Value}";
                var existing = config.Options.ToList().FindIndex(o => o.Split(':')[0] == option.Name);
                if (existing >= 0)
                {
                    config.Options[existing] = text;
                }
                else
                {
                    config.Options.Add(text);
                }
            }
        }

        while (config.Searches.Count > MaxDnsSearchPaths)
        {
            config.Searches.RemoveAt(config.Searches.Count - 1);
        }

        return config;
    }

    private (List<string> Servers, List<string> Searches, List<string> Options) HostResolvConf()
    {
        var servers = new List<string>();
        var searches = new List<string>();
        var opts = new List<string>();
        if (!File.Exists(hostResolvConf))
        {
            return (servers, searches, opts);
        }

        foreach (var raw in File.ReadLines(hostResolvConf))
        {
            var line = raw.Split('#')[0].Trim();
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                continue;
            }

            switch (fields[0])
            {
                case "nameserver":
                    servers.Add(fields[1]);
                    break;
                case "search":
                    searches.Clear();
                    searches.AddRange(fields.Skip(1).Where(s => s != "."));
                    break;
                case "options":
                    opts.AddRange(fields.Skip(1));
                    break;
                default:
                    break;
            }
        }

        return (servers, searches, opts);
    }
}
