using System.CommandLine;
using Kubesharp.ApiServer.Hosting;
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
            Description = "Address the API server listens on.",
            DefaultValueFactory = _ => "127.0.0.1",
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
            Description = "Port of the in-process scheduler's /metrics and /healthz (plain HTTP on --bind-address, like kubesharp scheduler --secure-port); 0 disables it.",
            DefaultValueFactory = _ => SchedulerServing.DefaultPort,
        };
        var tokenAuthFile = new Option<string?>("--token-auth-file")
        {
            Description = "A CSV file of static bearer tokens: token,user,uid,\"group1,group2\" (upstream's format).",
        };
        var command = new Command("server", "Run the control plane: the Kubernetes API server on its datastore.")
        {
            tokenAuthFile,
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
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            new ApiServerOptions { DataDir = parse.GetValue(dataDir)!, BindAddress = parse.GetValue(bindAddress)!, Port = parse.GetValue(port), TokenAuthFile = parse.GetValue(tokenAuthFile) },
            parse.GetValue(datastore)!,
            !parse.GetValue(disableControllerManager),
            !parse.GetValue(disableScheduler),
            parse.GetValue(schedulerConfig),
            parse.GetValue(schedulerPort),
            parse.GetValue(disableAgent) ? null : new AgentSettings(parse.GetValue(nodeName) ?? KubeletCommand.DefaultNodeName(), parse.GetValue(runtimeEndpoint)!),
            cancellationToken));
        return command;
    }

    /// <summary>The server's own node: its name and containerd socket.</summary>
    private sealed record AgentSettings(string NodeName, string Socket);

    private static async Task<int> RunAsync(ApiServerOptions serverOptions, string datastore, bool runControllerManager, bool runScheduler, string? schedulerConfigFile, int schedulerPort, AgentSettings? agent, CancellationToken cancellationToken)
    {
        // The scheduler's configuration and metrics endpoint first: a bad file or a taken port stops the server before anything starts.
        var schedulerMetrics = new SchedulerMetrics();
        var schedulerOptions = new SchedulerHostOptions { Scheduler = new SchedulerOptions { Metrics = schedulerMetrics } };
        if (runScheduler && schedulerConfigFile is not null)
        {
            try
            {
                schedulerOptions = SchedulerConfigurationLoader.LoadFile(schedulerConfigFile).ToHostOptions(schedulerOptions);
            }
            catch (SchedulerConfigurationException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
        }

        var (schedulerServing, servingFailed) = runScheduler ? await SchedulerCommand.StartServingAsync(serverOptions.BindAddress, schedulerPort, schedulerMetrics, cancellationToken) : (null, false);
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

            var where = options.Describe();
            var url = server.Url!.ToString();
            ServerLog.Ready(logger, url, store.Name, where, server.KubeconfigPath);
            ControllerManager? controllerManager = null;
            if (runControllerManager)
            {
                // The one boundary: the controllers reach the cluster over HTTPS like any client, never the store.
                controllerManager = ControllerManager.FromKubeconfig(Path.Combine(dataDir, "controller-manager.kubeconfig"), new ControllerManagerOptions
                {
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

            Kubelet.Kubelet? kubelet = null;
            k8s.Kubernetes? kubeletClient = null;
            if (agent is not null)
            {
                // The server's own node, with its own identity (system:node:NAME), through the API like any kubelet.
                var kubeconfig = Path.Combine(dataDir, "kubelet.kubeconfig");
                server.Pki!.WriteKubeconfig(kubeconfig, url, server.Pki.LoadOrIssueClient("kubelet", $"system:node:{agent.NodeName}", ["system:nodes"]), "kubelet");
                var kubeletConfig = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
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
                }, loggerFactory);
                await kubelet.StartAsync(stop.Token);
            }

            await stop.WaitAsync();
            ServerLog.Stopping(logger);

            if (kubelet is not null)
            {
                await kubelet.DisposeAsync();
                kubeletClient!.Dispose();
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

    private static string DefaultDataDir() =>
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

    [LoggerMessage(Level = LogLevel.Information, Message = "stopping: finishing requests in flight, then closing the datastore")]
    public static partial void Stopping(ILogger logger);
}
