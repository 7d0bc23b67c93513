using System.CommandLine;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Client;
using Kubesharp.Controllers;
using Kubesharp.Controllers.CertificateSigning;
using Kubesharp.Controllers.Tokens;
using Kubesharp.Scheduler;
using Kubesharp.Scheduler.Configuration;
using Kubesharp.Scheduler.Metrics;
using Kubesharp.Storage;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp server</c>: opens the datastore and serves the Kubernetes API over HTTPS, and, once the API
/// server is ready, runs the controller manager in the same process (as a client of the API over HTTPS, with
/// <c>&lt;data-dir&gt;/controller-manager.kubeconfig</c>, leader election on), until SIGTERM or Ctrl-C; then
/// stops the controller manager, stops accepting, lets requests in flight finish, ends watches and closes the store.
/// The node agent comes with the kubelet issue; until then the server runs without one.
/// </summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Directory for the cluster's state (default /var/lib/kubesharp as root, else ~/.kubesharp).",
            DefaultValueFactory = _ => DefaultDataDir(),
        };
        var datastore = new Option<string>("--datastore")
        {
            Description = "sqlite (default, <data-dir>/db/state.db), memory, or etcd://HOST:PORT[,HOST:PORT...].",
            DefaultValueFactory = _ => "sqlite",
        };
        var bindAddress = new Option<string>("--bind-address")
        {
            Description = "Address the API server listens on (default 0.0.0.0, every address, as upstream: pods reach the kubernetes Service through the advertised address; the admin kubeconfig then names 127.0.0.1).",
            DefaultValueFactory = _ => "0.0.0.0",
        };
        var port = new Option<int>("--port")
        {
            Description = "HTTPS port of the API server.",
            DefaultValueFactory = _ => 6443,
        };
        var disableAgent = new Option<bool>("--disable-agent")
        {
            Description = "Do not run a node agent (the kubelet) on this host; the server's own node then takes no pods.",
        };
        var runtimeEndpoint = new Option<string>("--container-runtime-endpoint")
        {
            Description = "containerd's CRI socket for the server's own agent (make runtime-up starts a private containerd there).",
            DefaultValueFactory = _ => Kubelet.KubeletOptions.DefaultSocket,
        };
        var nodeName = new Option<string?>("--node-name")
        {
            Description = "The name of the server's own node (default: the host name, lower-cased).",
        };
        var disableControllerManager = new Option<bool>("--disable-controller-manager")
        {
            Description = "Do not run the controller manager in this process (run `kubesharp controller-manager` elsewhere).",
        };
        var disableScheduler = new Option<bool>("--disable-scheduler")
        {
            Description = "Do not run the scheduler in this process (run `kubesharp scheduler` elsewhere).",
        };
        var schedulerConfig = new Option<string?>("--scheduler-config")
        {
            Description = "A KubeSchedulerConfiguration file for the in-process scheduler (as kubesharp scheduler --config reads it).",
        };
        var schedulerPort = new Option<int>("--scheduler-secure-port")
        {
            Description = "Port of the in-process scheduler's /metrics and /healthz (plain HTTP on --bind-address, or on 127.0.0.1 when that is 0.0.0.0, like kubesharp scheduler --secure-port); 0 disables it.",
            DefaultValueFactory = _ => SchedulerServing.DefaultPort,
        };
        var tokenAuthFile = new Option<string?>("--token-auth-file")
        {
            Description = "A CSV file of static bearer tokens: token,user,uid,\"group1,group2\" (upstream's format).",
        };
        var disableDns = new Option<bool>("--disable-dns")
        {
            Description = "Do not run the cluster DNS server in this process (run `kubesharp dns` elsewhere).",
        };
        var clusterDnsPort = new Option<int>("--cluster-dns-port")
        {
            Description = "Port the in-process cluster DNS server listens on (UDP and TCP, all addresses); the kube-dns Service's port 53 leads there.",
            DefaultValueFactory = _ => Dns.DnsServerOptions.DefaultPort,
        };
        var nodeLabels = NodeRegistrationFlags.LabelOption();
        var nodeTaints = NodeRegistrationFlags.TaintOption(server: true);
        var proxyMode = ProxyCommand.ModeOption();
        var disableProxy = new Option<bool>("--disable-kube-proxy") { Description = "Do not run kube-proxy beside the server's own kubelet." };
        var clusterCidr = ProxyCommand.ClusterCidrOption();
        clusterCidr.Description = "The cluster's pod CIDR: the node IPAM controller cuts each node's /24 from it, and kube-proxy masquerades traffic to cluster IPs from outside it.";
        var serviceCidr = new Option<string>("--service-cluster-ip-range")
        {
            Description = "IPv4 CIDR that Service cluster IPs are allocated from; its first address is the kubernetes Service's.",
            DefaultValueFactory = _ => "10.43.0.0/16",
        };
        var nodePortRange = new Option<string>("--service-node-port-range")
        {
            Description = "Port range (BASE-LAST) that NodePort and LoadBalancer Services take node ports from.",
            DefaultValueFactory = _ => "30000-32767",
        };
        var advertiseAddress = new Option<string?>("--advertise-address")
        {
            Description = "Address this API server announces in the kubernetes Service's endpoints (default: --bind-address unless 0.0.0.0, else the address of the default route).",
        };
        // The in-process controller manager's and scheduler's leader election (servers sharing a datastore elect one of each).
        var leaseDuration = ControllerManagerCommand.DurationOption("--leader-elect-lease-duration", "How long the controller manager and scheduler of other servers wait before taking over a lease that is not renewed.", TimeSpan.FromSeconds(15));
        var renewDeadline = ControllerManagerCommand.DurationOption("--leader-elect-renew-deadline", "How long a leading controller manager or scheduler retries a failing renewal before giving up leadership.", TimeSpan.FromSeconds(10));
        var retryPeriod = ControllerManagerCommand.DurationOption("--leader-elect-retry-period", "The pause between attempts to acquire or renew the leases.", TimeSpan.FromSeconds(2));
        var command = new Command("server", "Run the control plane: the Kubernetes API server on its datastore.")
        {
            nodeLabels,
            nodeTaints,
            leaseDuration,
            renewDeadline,
            retryPeriod,
            proxyMode,
            disableProxy,
            clusterCidr,
            tokenAuthFile,
            serviceCidr,
            nodePortRange,
            advertiseAddress,
            dataDir,
            datastore,
            bindAddress,
            port,
            disableAgent,
            runtimeEndpoint,
            nodeName,
            disableControllerManager,
            disableScheduler,
            schedulerConfig,
            schedulerPort,
            disableDns,
            clusterDnsPort,
        };
        var nodeLifecycle = NodeLifecycleFlags.AddTo(command);
        command.SetAction((parse, cancellationToken) => !TryParseNode(parse, nodeLabels, nodeTaints, out var labels, out var taints) ? Task.FromResult(2) : RunAsync(
            new ApiServerOptions
            {
                DataDir = parse.GetValue(dataDir)!,
                BindAddress = parse.GetValue(bindAddress)!,
                Port = parse.GetValue(port),
                TokenAuthFile = parse.GetValue(tokenAuthFile),
                ServiceCidr = parse.GetValue(serviceCidr)!,
                NodePortRange = parse.GetValue(nodePortRange)!,
                AdvertiseAddress = parse.GetValue(advertiseAddress),
            },
            parse.GetValue(datastore)!,
            new LeaderElectionTimings(
                parse.GetValue(leaseDuration),
                parse.GetValue(renewDeadline),
                parse.GetValue(retryPeriod),
                parse.GetResult(leaseDuration) is { Implicit: false } || parse.GetResult(renewDeadline) is { Implicit: false } || parse.GetResult(retryPeriod) is { Implicit: false }),
            !parse.GetValue(disableControllerManager),
            !parse.GetValue(disableScheduler),
            parse.GetValue(schedulerConfig),
            parse.GetValue(schedulerPort),
            parse.GetValue(disableDns) ? null : parse.GetValue(clusterDnsPort),
            parse.GetValue(disableAgent) ? null : new AgentSettings(
                parse.GetValue(nodeName) ?? KubeletCommand.DefaultNodeName(),
                parse.GetValue(runtimeEndpoint)!,
                parse.GetValue(disableProxy) ? null : parse.GetValue(proxyMode),
                parse.GetValue(clusterCidr),
                labels,
                taints),
            nodeLifecycle.Apply(parse, new CoreControllerOptions { ClusterCidr = parse.GetValue(clusterCidr) ?? "10.42.0.0/16" }),
            cancellationToken));
        return command;
    }

    /// <summary>The server's own node's labels and taints, or false after printing what is wrong with them.</summary>
    private static bool TryParseNode(ParseResult parse, Option<string[]> labelsOption, Option<string[]> taintsOption, out Dictionary<string, string> labels, out List<k8s.Models.V1Taint> taints)
    {
        try
        {
            labels = NodeRegistrationFlags.ParseLabels(parse.GetValue(labelsOption));
            taints = NodeRegistrationFlags.ParseTaints(parse.GetValue(taintsOption));
            return true;
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            (labels, taints) = ([], []);
            return false;
        }
    }

    /// <summary>
    /// The server's own node: its name, containerd socket, kube-proxy's mode (null: no kube-proxy), and the labels and
    /// taints it registers with.
    /// </summary>
    private sealed record AgentSettings(string NodeName, string Socket, string? ProxyMode, string? ClusterCidr, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<k8s.Models.V1Taint> Taints);

    /// <summary>The leader-election flags; <paramref name="Given"/>: any was on the command line (they then override a scheduler config file's).</summary>
    private sealed record LeaderElectionTimings(TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod, bool Given);

    private static async Task<int> RunAsync(ApiServerOptions serverOptions, string datastore, LeaderElectionTimings election, bool runControllerManager, bool runScheduler, string? schedulerConfigFile, int schedulerPort, int? dnsPort, AgentSettings? agent, CoreControllerOptions core, CancellationToken cancellationToken)
    {
        // The scheduler's configuration and metrics endpoint first: a bad file or a taken port stops the server before anything starts.
        var schedulerMetrics = new SchedulerMetrics();
        if (election.LeaseDuration <= election.RenewDeadline || election.RenewDeadline <= election.RetryPeriod * Client.LeaderElection.LeaderElector.JitterFactor || election.RetryPeriod <= TimeSpan.Zero)
        {
            await Console.Error.WriteLineAsync("error: --leader-elect-lease-duration must be longer than --leader-elect-renew-deadline, which must be longer than 1.2 times --leader-elect-retry-period (> 0), as upstream requires");
            return 2;
        }

        var schedulerOptions = new SchedulerHostOptions
        {
            Scheduler = new SchedulerOptions { Metrics = schedulerMetrics },
            LeaseDuration = election.LeaseDuration,
            RenewDeadline = election.RenewDeadline,
            RetryPeriod = election.RetryPeriod,
        };
        if (runScheduler && schedulerConfigFile is not null)
        {
            try
            {
                var loaded = SchedulerConfigurationLoader.LoadFile(schedulerConfigFile).ToHostOptions(schedulerOptions);
                // As kubesharp scheduler --config: the file decides, except leader-election flags given explicitly.
                schedulerOptions = election.Given ? loaded with { LeaseDuration = election.LeaseDuration, RenewDeadline = election.RenewDeadline, RetryPeriod = election.RetryPeriod } : loaded;
            }
            catch (SchedulerConfigurationException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
        }

        var (schedulerServing, servingFailed) = runScheduler ? await SchedulerCommand.StartServingAsync(serverOptions.BindAddress == "0.0.0.0" ? "127.0.0.1" : serverOptions.BindAddress, schedulerPort, schedulerMetrics, cancellationToken) : (null, false);
        if (servingFailed)
        {
            return 1;
        }

        await using var schedulerEndpoint = schedulerServing;

        var dataDir = serverOptions.DataDir;
        using var loggerFactory = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => o.SingleLine = true)
            // ASP.NET Core logs two lines per request at Information; upstream logs requests only when asked.
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning));
        var logger = loggerFactory.CreateLogger("kubesharp-server");
        using var stop = new StopSignal(cancellationToken);

        StoreOptions options;
        try
        {
            options = StoreOptions.Parse(datastore, dataDir);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }

        IStore store;
        try
        {
            store = await StoreFactory.OpenAsync(options, loggerFactory, cancellationToken: stop.Token);
        }
        catch (StoreException e)
        {
            await Console.Error.WriteLineAsync($"error: cannot open the {options.Kind} datastore: {e.Message}");
            return 1;
        }

        await using (store)
        {
            await using var server = new ApiServerHost(serverOptions, store, loggerFactory);
            try
            {
                await server.StartAsync(stop.Token);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"error: cannot listen on {serverOptions.BindAddress}:{serverOptions.Port}: {e.Message}");
                return 1;
            }
            catch (ArgumentException e)
            {
                // A malformed --service-cluster-ip-range or --service-node-port-range.
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }

            var where = options.Describe();
            var url = server.Url!.ToString();
            ServerLog.Ready(logger, url, store.Name, where, server.KubeconfigPath);
            ControllerManager? controllerManager = null;
            if (runControllerManager)
            {
                // The one boundary: the controllers reach the cluster over HTTPS like any client, never the store.
                controllerManager = ControllerManager.FromKubeconfig(Path.Combine(dataDir, "controller-manager.kubeconfig"), new ControllerManagerOptions
                {
                    LeaseDuration = election.LeaseDuration,
                    RenewDeadline = election.RenewDeadline,
                    RetryPeriod = election.RetryPeriod,
                    Core = core,
                    // The tokens and CSR controllers sign with the server's own key and CA, read from its data directory.
                    Extra = CertificateControllers.Create(
                        ServiceAccountSigning.Load(Path.Combine(dataDir, "tls", "service-account.key"), Path.Combine(dataDir, "tls", "ca.crt")),
                        ClusterSigning.Load(Path.Combine(dataDir, "tls", "ca.crt"), Path.Combine(dataDir, "tls", "ca.key"))),
                }, loggerFactory);
                await controllerManager.StartAsync(stop.Token);
            }

            SchedulerHost? scheduler = null;
            if (runScheduler)
            {
                // Through the API with its own identity (system:kube-scheduler), like any scheduler.
                scheduler = SchedulerHost.FromKubeconfig(Path.Combine(dataDir, "scheduler.kubeconfig"), schedulerOptions, loggerFactory);
                await scheduler.StartAsync(stop.Token);
            }

            Dns.DnsServer? dns = null;
            if (dnsPort is { } port)
            {
                // Through the API with its own identity (system:kube-dns), like the scheduler.
                var kubeconfig = Path.Combine(dataDir, "kube-dns.kubeconfig");
                server.Pki!.WriteKubeconfig(kubeconfig, url, server.Pki.LoadOrIssueClient("kube-dns", "system:kube-dns", []), "kube-dns");
                dns = Dns.DnsServer.FromKubeconfig(kubeconfig, new Dns.DnsServerOptions
                {
                    Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Any, port),
                    // Pods reach it through kube-dns's DNAT, so never at a loopback address (the server's own may be one).
                    AdvertiseAddresses = [System.Net.IPAddress.Parse(DnsAdvertiseAddress(server.AdvertisedAddress))],
                }, loggerFactory);
                try
                {
                    await dns.StartAsync(stop.Token);
                }
                catch (System.Net.Sockets.SocketException e)
                {
                    ServerLog.DnsNotStarted(logger, port, e.Message);
                    await dns.DisposeAsync();
                    dns = null;
                }
            }

            Kubelet.Kubelet? kubelet = null;
            k8s.Kubernetes? kubeletClient = null;
            Proxy.Proxier.KubeProxy? kubeProxy = null;
            Proxy.Routes.PodRouteController? podRoutes = null;
            if (agent is not null)
            {
                // The server's own node, with its own identity (system:node:NAME), through the API like any kubelet.
                var kubeconfig = Path.Combine(dataDir, "kubelet.kubeconfig");
                server.Pki!.WriteKubeconfig(kubeconfig, url, server.Pki.LoadOrIssueClient("kubelet", $"system:node:{agent.NodeName}", ["system:nodes"]), "kubelet");
                var kubeletConfig = Kubeconfig.Build(kubeconfig);
                kubeletClient = new k8s.Kubernetes(kubeletConfig);
                if (!File.Exists(agent.Socket))
                {
                    ServerLog.NoRuntime(logger, agent.Socket);
                }

                kubelet = new Kubelet.Kubelet(kubeletClient, new Kubelet.KubeletOptions
                {
                    NodeName = agent.NodeName,
                    RootDir = Path.Combine(dataDir, "kubelet"),
                    ContainerRuntimeEndpoint = agent.Socket,
                    ClientCa = kubeletConfig.SslCaCerts[0],
                    ClusterDns = [KubeletCommand.ClusterDnsAddress],
                    NodeLabels = agent.Labels,
                    RegisterWithTaints = agent.Taints,
                }, loggerFactory);
                await kubelet.StartAsync(stop.Token);
                podRoutes = Proxy.Routes.PodRouteController.Start(kubeletClient, new Proxy.Routes.PodRouteOptions { NodeName = agent.NodeName, ClusterCidr = agent.ClusterCidr ?? "10.42.0.0/16" }, loggerFactory, stop.Token);
                if (agent.ProxyMode is { } mode)
                {
                    kubeProxy = await ProxyCommand.StartAsync(
                        kubeletClient,
                        mode,
                        new Proxy.Proxier.KubeProxyOptions { NodeName = agent.NodeName, ClusterCidr = agent.ClusterCidr },
                        loggerFactory,
                        stop.Token);
                }
            }

            await stop.WaitAsync();
            ServerLog.Stopping(logger);

            if (kubeProxy is not null)
            {
                await kubeProxy.DisposeAsync();
            }

            if (podRoutes is not null)
            {
                await podRoutes.DisposeAsync();
            }

            if (kubelet is not null)
            {
                await kubelet.DisposeAsync();
                kubeletClient!.Dispose();
            }

            if (dns is not null)
            {
                await dns.DisposeAsync();
            }

            if (scheduler is not null)
            {
                await scheduler.DisposeAsync();
            }

            if (controllerManager is not null)
            {
                // Before the API server: the controllers drain while it still answers.
                await controllerManager.DisposeAsync();
            }

            await server.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    private static string DnsAdvertiseAddress(string? serverAddress) =>
        serverAddress is not null && System.Net.IPAddress.TryParse(serverAddress, out var ip) && !System.Net.IPAddress.IsLoopback(ip) ? serverAddress : ApiServerHost.HostAddress();

    internal static string DefaultDataDir() =>
        Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root"
            ? "/var/lib/kubesharp"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kubesharp");
}

internal static partial class ServerLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "no container runtime at {Socket}: the node stays NotReady until it answers (make runtime-up starts one)")]
    public static partial void NoRuntime(ILogger logger, string socket);

    [LoggerMessage(Level = LogLevel.Information, Message = "kube-apiserver serving at {Url} on datastore {Backend} ({Where}); admin kubeconfig: {Kubeconfig}")]
    public static partial void Ready(ILogger logger, string url, string backend, string where, string kubeconfig);

    [LoggerMessage(Level = LogLevel.Error, Message = "cluster DNS not started: cannot listen on port {Port}: {Error} (--cluster-dns-port picks another, --disable-dns turns it off)")]
    public static partial void DnsNotStarted(ILogger logger, int port, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopping: finishing requests in flight, then closing the datastore")]
    public static partial void Stopping(ILogger logger);
}
