using System.CommandLine;
using k8s;
using k8s.Exceptions;
using Kubesharp.Kubelet;
using Kubesharp.Kubelet.Bootstrap;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp kubelet --kubeconfig FILE</c>: the kubelet alone, and <c>kubesharp agent --server URL --kubeconfig FILE</c>:
/// what a node runs (the kubelet; kube-proxy joins it later). Both run until SIGTERM or Ctrl-C; the pods keep running
/// in containerd when the kubelet stops, and a kubelet started again adopts them.
/// </summary>
internal static class KubeletCommand
{
    /// <summary>The options both commands share.</summary>
    private sealed class NodeOptions
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

        public Option<string[]> ClusterDns { get; } = new("--cluster-dns") { Description = "Cluster DNS server addresses for dnsPolicy ClusterFirst (none: such pods get the host's resolv.conf, as upstream)." };

        public Option<int> Port { get; } = new("--port") { Description = "The kubelet's HTTPS port (logs, exec, attach); 0 disables it.", DefaultValueFactory = _ => 10250 };

        public IEnumerable<Option> All => [NodeName, NodeIp, Socket, CniConfDir, PodCidr, ClusterDns, Port];

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
        };
    }

    public static string DefaultNodeName() => System.Net.Dns.GetHostName().ToLowerInvariant();

    public static Command CreateKubelet()
    {
        var node = new NodeOptions();
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig the kubelet uses (its node identity, system:node:NAME).", Required = true };
        var rootDir = new Option<string>("--root-dir") { Description = "The kubelet's directory: pod volumes, container logs.", DefaultValueFactory = _ => "/var/lib/kubesharp/kubelet" };
        var command = new Command("kubelet", "Run the kubelet against an API server: register the node and run the pods bound to it in containerd.") { kubeconfig, rootDir };
        foreach (var option in node.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(kubeconfig)!, null, node.Build(parse, parse.GetValue(rootDir)!), cancellationToken));
        return command;
    }

    public static Command CreateAgent()
    {
        var node = new NodeOptions();
        var server = new Option<string?>("--server") { Description = "The API server's URL, e.g. https://10.0.0.1:6443 (default: the kubeconfig's)." };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "A kubeconfig with the node's identity." };
        var token = new Option<string?>("--token") { Description = "A bootstrap token (from the server's <data-dir>/node-token) to join with instead of a kubeconfig: TLS bootstrap of a node client certificate (needs --server)." };
        var caCertHash = new Option<string[]>("--ca-cert-hash") { Description = "With --token: pins the cluster CA's public key (sha256:<hex of its SubjectPublicKeyInfo>, as kubeadm's --discovery-token-ca-cert-hash); repeatable." };
        var dataDir = new Option<string>("--data-dir") { Description = "The agent's directory (the kubelet's is <data-dir>/kubelet; a --token join writes <data-dir>/kubelet.kubeconfig).", DefaultValueFactory = _ => "/var/lib/kubesharp/agent" };
        var command = new Command("agent", "Run a node: the kubelet (and kube-proxy), joined to a server.") { server, kubeconfig, token, caCertHash, dataDir };
        foreach (var option in node.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = parse.GetValue(dataDir)!;
            var options = node.Build(parse, Path.Combine(dir, "kubelet"));
            if (parse.GetValue(kubeconfig) is { } path)
            {
                return await RunAsync(path, parse.GetValue(server), options, cancellationToken);
            }

            if (parse.GetValue(token) is { } joinToken)
            {
                if (parse.GetValue(server) is not { } url)
                {
                    await Console.Error.WriteLineAsync("error: --server is required with --token");
                    return 1;
                }

                TlsBootstrapResult joined;
                try
                {
                    joined = await TlsBootstrap.BootstrapAsync(url, joinToken, options.NodeName, dir, parse.GetValue(caCertHash) ?? [], TimeSpan.FromMinutes(5), line => Console.WriteLine("agent: " + line), cancellationToken);
                }
                catch (TlsBootstrapException e)
                {
                    await Console.Error.WriteLineAsync($"error: {e.Message}");
                    return 1;
                }

                Console.WriteLine(joined.Reused
                    ? $"agent: using the node certificate in {joined.KubeconfigPath} (system:node:{options.NodeName})"
                    : $"agent: joined as system:node:{options.NodeName} ({joined.KubeconfigPath})");
                return await RunAsync(joined.KubeconfigPath, null, options, cancellationToken);
            }

            await Console.Error.WriteLineAsync("error: one of --kubeconfig or --token is required");
            return 1;
        });
        return command;
    }

    private static async Task<int> RunAsync(string kubeconfig, string? server, KubeletOptions options, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .AddFilter("System.Net.Http", LogLevel.Warning));
        using var stop = new StopSignal(cancellationToken);
        Kubernetes client;
        try
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
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
            await using var kubelet = new Kubelet.Kubelet(client, options, loggerFactory);
            await kubelet.StartAsync(stop.Token);
            await stop.WaitAsync();
        }

        return 0;
    }
}
