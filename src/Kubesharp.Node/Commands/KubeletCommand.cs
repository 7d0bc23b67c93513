using System.CommandLine;
using k8s;
using k8s.Exceptions;
using Kubesharp.Client;
using Kubesharp.Client.Balancer;
using Kubesharp.Kubelet;
using Kubesharp.Kubelet.Bootstrap;
using Kubesharp.Kubelet.Node;
using Kubesharp.Proxy.Proxier;
using Kubesharp.Proxy.Routes;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp kubelet --kubeconfig FILE</c>: the kubelet alone, and <c>kubesharp agent --server URL --kubeconfig FILE</c>:
/// what a node runs (the kubelet, kube-proxy and the routes to the other nodes' pod CIDRs, all with the node's identity).
/// Both run until SIGTERM or Ctrl-C; the pods keep running in containerd when the kubelet stops, and a kubelet started
/// again adopts them.
/// </summary>
internal static class KubeletCommand
{
    /// <summary>The options both commands share.</summary>
    private sealed class NodeOptions(bool agent)
    {
        public Option<string?> NodeName { get; } = new("--node-name") { Description = "The node's name (default: the host name, lower-cased)." };

        public Option<string?> NodeIp { get; } = new("--node-ip") { Description = "The node's address (default: the local address of the route to the API server, else the first non-loopback address)." };

        public Option<string> Socket { get; } = new("--container-runtime-endpoint", "--containerd-socket")
        {
            Description = "containerd's CRI socket (make runtime-up starts a private containerd there).",
            DefaultValueFactory = _ => KubeletOptions.DefaultSocket,
        };

        public Option<string?> CniConfDir { get; } = new("--cni-conf-dir") { Description = "Where the CNI configuration is written (default: net.d beside the socket)." };

        public Option<string?> PodCidr { get; } = new("--pod-cidr") { Description = "The pod CIDR when the node has none assigned (no node IPAM controller)." };

        /// <summary>
        /// The kubelet alone has no default, as upstream; the agent defaults to k3s's 10.43.0.10, the kube-dns Service that
        /// kubesharp server registers.
        /// </summary>
        public Option<string[]> ClusterDns { get; } = agent
            ? new("--cluster-dns") { Description = "Cluster DNS server addresses for dnsPolicy ClusterFirst.", DefaultValueFactory = _ => [ClusterDnsAddress] }
            : new("--cluster-dns") { Description = "Cluster DNS server addresses for dnsPolicy ClusterFirst (none: such pods get the host's resolv.conf, as upstream)." };

        public Option<int> Port { get; } = new("--port") { Description = "The kubelet's HTTPS port (logs, exec, attach); 0 disables it.", DefaultValueFactory = _ => 10250 };

        public Option<string[]> Labels { get; } = NodeRegistrationFlags.LabelOption();

        public Option<string[]> Taints { get; } = NodeRegistrationFlags.TaintOption(server: false);

        public IEnumerable<Option> All => [NodeName, NodeIp, Socket, CniConfDir, PodCidr, ClusterDns, Port, Labels, Taints];

        /// <summary>The kubelet's options; a bad label or taint is a <see cref="FormatException"/> naming it.</summary>

        public KubeletOptions Build(ParseResult parse, string rootDir) => new()
        {
            NodeName = parse.GetValue(NodeName) ?? DefaultNodeName(),
            RootDir = rootDir,
            NodeIp = parse.GetValue(NodeIp),
            ContainerRuntimeEndpoint = parse.GetValue(Socket)!,
            CniConfDir = parse.GetValue(CniConfDir),
            PodCidr = parse.GetValue(PodCidr),
            ClusterDns = parse.GetValue(ClusterDns) ?? [],
            Port = parse.GetValue(Port),
            NodeLabels = NodeRegistrationFlags.ParseLabels(parse.GetValue(Labels)),
            RegisterWithTaints = NodeRegistrationFlags.ParseTaints(parse.GetValue(Taints)),
        };

        /// <summary><see cref="Build"/>, or null after printing what is wrong with the flags.</summary>
        public KubeletOptions? TryBuild(ParseResult parse, string rootDir)
        {
            try
            {
                return Build(parse, rootDir);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return null;
            }
        }
    }

    /// <summary>The kube-dns Service's address (k3s's default), which kubelets put in pods' resolv.conf for ClusterFirst.</summary>
    public const string ClusterDnsAddress = "10.43.0.10";

    public static string DefaultNodeName() => System.Net.Dns.GetHostName().ToLowerInvariant();

    public static Command CreateKubelet()
    {
        var node = new NodeOptions(agent: false);
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig the kubelet uses (its node identity, system:node:NAME).", Required = true };
        var rootDir = new Option<string>("--root-dir") { Description = "The kubelet's directory: pod volumes, container logs.", DefaultValueFactory = _ => "/var/lib/kubesharp/kubelet" };
        var command = new Command("kubelet", "Run the kubelet against an API server: register the node and run the pods bound to it in containerd.") { kubeconfig, rootDir };
        foreach (var option in node.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) =>
        {
            ApplyNodeSettings();
            return node.TryBuild(parse, parse.GetValue(rootDir)!) is { } options
                ? RunAsync(parse.GetValue(kubeconfig)!, null, options, null, null, null, null, cancellationToken)
                : Task.FromResult(2);
        });
        return command;
    }

    public static Command CreateAgent()
    {
        var node = new NodeOptions(agent: true);
        var server = new Option<string[]>("--server") { Description = "The API servers' URLs, e.g. https://10.0.0.1:6443; comma-separated or repeated (default: the kubeconfig's). The agent reaches them through its load balancer and learns the others from the kubernetes Endpoints." };
        var lbPort = AgentBalancer.PortOption();
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "A kubeconfig with the node's identity." };
        var token = new Option<string?>("--token") { Description = "A bootstrap token (from the server's <data-dir>/node-token) to join with instead of a kubeconfig: TLS bootstrap of a node client certificate (needs --server)." };
        var caCertHash = new Option<string[]>("--ca-cert-hash") { Description = "With --token: pins the cluster CA's public key (sha256:<hex of its SubjectPublicKeyInfo>, as kubeadm's --discovery-token-ca-cert-hash); repeatable." };
        var dataDir = new Option<string>("--data-dir") { Description = "The agent's directory (the kubelet's is <data-dir>/kubelet; a --token join writes <data-dir>/kubelet.kubeconfig).", DefaultValueFactory = _ => "/var/lib/kubesharp/agent" };
        var proxyMode = ProxyCommand.ModeOption();
        var disableProxy = new Option<bool>("--disable-kube-proxy") { Description = "Do not run kube-proxy beside the kubelet." };
        var clusterCidr = ProxyCommand.ClusterCidrOption();
        var command = new Command("agent", "Run a node: the kubelet, kube-proxy and the pod routes, joined to a server.") { server, lbPort, kubeconfig, token, caCertHash, dataDir, proxyMode, disableProxy, clusterCidr };
        foreach (var option in node.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            ApplyNodeSettings();
            var dir = parse.GetValue(dataDir)!;
            if (node.TryBuild(parse, Path.Combine(dir, "kubelet")) is not { } options)
            {
                return 2;
            }

            var routes = new PodRouteOptions { NodeName = options.NodeName, ClusterCidr = parse.GetValue(clusterCidr) ?? "10.42.0.0/16" };
            if (PodRoutePlan.NormalizeCidr(routes.ClusterCidr) is null)
            {
                await Console.Error.WriteLineAsync($"error: --cluster-cidr {routes.ClusterCidr} is not an IPv4 CIDR");
                return 1;
            }

            var proxy = parse.GetValue(disableProxy) ? null : new AgentProxy(parse.GetValue(proxyMode)!, routes.ClusterCidr);
            if (parse.GetValue(kubeconfig) is null && parse.GetValue(token) is null)
            {
                await Console.Error.WriteLineAsync("error: one of --kubeconfig or --token is required");
                return 1;
            }

            List<string> servers;
            try
            {
                servers = [.. ServerAddress.ParseList(parse.GetValue(server) ?? [])];
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"error: --server: {e.Message}");
                return 1;
            }

            if (servers.Count == 0 && parse.GetValue(kubeconfig) is { } kubeconfigPath && AgentBalancer.KubeconfigServer(kubeconfigPath) is { } kubeconfigServer)
            {
                servers.Add(kubeconfigServer);
            }

            if (servers.Count == 0)
            {
                await Console.Error.WriteLineAsync(parse.GetValue(kubeconfig) is null ? "error: --server is required with --token" : "error: no API server: give --server, or a kubeconfig that names one");
                return 1;
            }

            // The API is reached through 127.0.0.1 now: the node's address comes from the route to the first real server.
            options = options with { NodeIp = options.NodeIp ?? HostInfo.NodeAddress(new Uri("https://" + servers[0])).ToString() };
            using var loggers = CreateLoggers();
            await using var balancer = await AgentBalancer.StartAsync(servers, parse.GetValue(lbPort), dir, loggers);
            if (balancer is null)
            {
                return 1;
            }

            if (parse.GetValue(kubeconfig) is { } path)
            {
                return await RunAsync(path, balancer.LocalUrl, options, routes, proxy, balancer, loggers, cancellationToken);
            }

            if (parse.GetValue(token) is { } joinToken)
            {
                // Through the balancer: the kubeconfig the bootstrap writes names it, so every component uses it.
                TlsBootstrapResult joined;
                try
                {
                    joined = await TlsBootstrap.BootstrapAsync(balancer.LocalUrl, joinToken, options.NodeName, dir, parse.GetValue(caCertHash) ?? [], TimeSpan.FromMinutes(5), line => Console.WriteLine("agent: " + line), cancellationToken);
                }
                catch (TlsBootstrapException e)
                {
                    await Console.Error.WriteLineAsync($"error: {e.Message}");
                    return 1;
                }

                Console.WriteLine(joined.Reused
                    ? $"agent: using the node certificate in {joined.KubeconfigPath} (system:node:{options.NodeName})"
                    : $"agent: joined as system:node:{options.NodeName} ({joined.KubeconfigPath})");
                return await RunAsync(joined.KubeconfigPath, null, options, routes, proxy, balancer, loggers, cancellationToken);
            }

            await Console.Error.WriteLineAsync("error: one of --kubeconfig or --token is required");
            return 1;
        });
        return command;
    }

    /// <summary>Re-executes the process with the node's .NET runtime settings (<see cref="NodeProcessSettings"/>) unless they are in effect.</summary>
    private static void ApplyNodeSettings()
    {
        if (NodeProcessSettings.Apply(Environment.GetCommandLineArgs().Skip(1)) is { } failure)
        {
            Console.Error.WriteLine($"warning: {failure}");
        }
    }

    /// <summary>The agent's kube-proxy settings.</summary>
    private sealed record AgentProxy(string Mode, string? ClusterCidr);

    private static ILoggerFactory CreateLoggers() => LoggerFactory.Create(b => b
        .AddSimpleConsole(o => o.SingleLine = true)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddFilter("System.Net.Http", LogLevel.Warning));

    private static async Task<int> RunAsync(string kubeconfig, string? server, KubeletOptions options, PodRouteOptions? routes, AgentProxy? proxy, ApiServerBalancer? balancer, ILoggerFactory? loggers, CancellationToken cancellationToken)
    {
        using var ownLoggers = loggers is null ? CreateLoggers() : null;
        var loggerFactory = loggers ?? ownLoggers!;
        using var stop = new StopSignal(cancellationToken);
        Kubernetes client;
        KubernetesClientConfiguration config;
        try
        {
            config = Kubeconfig.Build(kubeconfig);
            if (server is not null)
            {
                config.Host = server;
            }

            client = new Kubernetes(config);
            options = options with { ClientCa = config.SslCaCerts is { Count: > 0 } cas ? cas[0] : null };
        }
        catch (Exception e) when (e is KubeConfigException or IOException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }

        using (client)
        {
            // The servers' health by /readyz with the node's credentials, and the servers it was not told about.
            await using var balancing = balancer is null ? null : AgentBalancer.Attach(balancer, client, config, loggerFactory);
            await using var kubelet = new Kubelet.Kubelet(client, options, loggerFactory);
            await kubelet.StartAsync(stop.Token);
            await using var podRoutes = routes is null ? null : PodRouteController.Start(client, routes, loggerFactory, stop.Token);
            KubeProxy? kubeProxy = null;
            if (proxy is not null)
            {
                // Beside the kubelet, with the node's identity (system:node:NAME, group system:nodes).
                kubeProxy = await ProxyCommand.StartAsync(
                    client,
                    proxy.Mode,
                    new KubeProxyOptions { NodeName = options.NodeName, NodeIps = options.NodeIp is { } ip ? [ip] : [], ClusterCidr = proxy.ClusterCidr },
                    loggerFactory,
                    stop.Token);
                if (kubeProxy is null)
                {
                    return 1;
                }
            }

            await stop.WaitAsync();
            if (kubeProxy is not null)
            {
                await kubeProxy.DisposeAsync();
            }
        }

        return 0;
    }
}
