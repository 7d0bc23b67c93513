using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Kubesharp.Testing.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Kubelet.Tests.EndToEnd;

/// <summary>
/// A real kubelet on the machine's containerd (<c>scripts/runtime.sh up</c>) against an in-process API server on SQLite:
/// the kubelet has its own node identity (<c>system:node:NAME</c>, so the Node authorizer and NodeRestriction apply)
/// and short back-offs; tests bind pods to its node by <c>spec.nodeName</c> (there is no scheduler). One kubelet serves
/// every end-to-end test (they share containerd and its CNI configuration), in the <c>containerd</c> collection.
/// </summary>
public sealed class KubeletFixture : IAsyncLifetime
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-kubelet-").FullName;
    private IStore? _store;
    private ApiServerHost? _host;
    private Kubernetes? _kubeletClient;
    private readonly int _kubeletPort = Testing.FreePorts.Next();

    public ContainerRuntimeEnvironment? Runtime { get; private set; }

    public string? SkipReason { get; private set; }

    public Kubernetes Client { get; private set; } = null!;

    public Kubelet Kubelet { get; private set; } = null!;

    public string NodeName { get; } = "kubelet-e2e-" + Guid.NewGuid().ToString("N")[..6];

    public string RootDir => Path.Combine(_dir, "kubelet");

    public KubeletOptions Options => new()
    {
        NodeName = NodeName,
        RootDir = RootDir,
        ContainerRuntimeEndpoint = Runtime!.Socket,
        PodCidr = "10.42.250.0/24",
        Port = _kubeletPort,
        Address = "127.0.0.1",
        NodeIp = "127.0.0.1",
        ClientCa = _host!.Pki!.Ca,
        ServingCertificateWait = TimeSpan.FromSeconds(1),
        CrashLoopInitialBackoff = TimeSpan.FromSeconds(1),
        CrashLoopMaxBackoff = TimeSpan.FromSeconds(4),
        ImagePullInitialBackoff = TimeSpan.FromSeconds(1),
        ImagePullMaxBackoff = TimeSpan.FromSeconds(4),
        NodeStatusUpdateFrequency = TimeSpan.FromSeconds(1),
        SyncFrequency = TimeSpan.FromSeconds(5),
    };

    public async Task InitializeAsync()
    {
        Runtime = ContainerRuntimeEnvironment.Get();
        if (!Runtime.Available)
        {
            SkipReason = Runtime.SkipReason;
            return;
        }

        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.KubeconfigPath));
        var kubeconfig = Path.Combine(_dir, "kubelet.kubeconfig");
        _host.Pki!.WriteKubeconfig(kubeconfig, _host.Url!.ToString(), _host.Pki.LoadOrIssueClient("kubelet", $"system:node:{NodeName}", ["system:nodes"]), "kubelet");
        _kubeletClient = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        await StartKubeletAsync();
        await WaitNodeReadyAsync();
    }

    /// <summary>Starts a kubelet (again) on the same root directory and node.</summary>
    public async Task StartKubeletAsync()
    {
        Kubelet = new Kubelet(_kubeletClient!, Options, NullLoggerFactory.Instance);
        await Kubelet.StartAsync(CancellationToken.None);
        await Kubelet.Started.WaitAsync(Bound);
    }

    public async Task StopKubeletAsync() => await Kubelet.DisposeAsync();

    public async Task<V1Node> WaitNodeReadyAsync(bool ready = true)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            try
            {
                var node = await Client.CoreV1.ReadNodeAsync(NodeName);
                if (node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status == (ready ? "True" : "False"))
                {
                    return node;
                }
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                // Not registered yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"node {NodeName} did not become Ready={ready}");
            }

            await Task.Delay(200);
        }
    }

    public async Task<string> NamespaceAsync()
    {
        var name = "k-" + Guid.NewGuid().ToString("N")[..8];
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }

    /// <summary>Creates the pod bound to the kubelet's node, without a service account token volume.</summary>
    public async Task<V1Pod> CreatePodAsync(string ns, V1Pod pod)
    {
        pod.Metadata.NamespaceProperty = ns;
        pod.Spec.NodeName = NodeName;
        pod.Spec.AutomountServiceAccountToken ??= false;
        pod.Spec.TerminationGracePeriodSeconds ??= 2;
        return await Client.CoreV1.CreateNamespacedPodAsync(pod, ns);
    }

    public async Task<V1Pod> WaitAsync(string ns, string name, Func<V1Pod, bool> holds, string what, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? Bound);
        V1Pod pod;
        do
        {
            pod = await Client.CoreV1.ReadNamespacedPodAsync(name, ns);
            if (holds(pod))
            {
                return pod;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"pod {ns}/{name}: {what} did not happen; status: {KubernetesJson.Serialize(pod.Status)}");
    }

    public async Task WaitGoneAsync(string ns, string name)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await Client.CoreV1.ReadNamespacedPodAsync(name, ns);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"pod {ns}/{name} was not deleted");
    }

    /// <summary>The current CRI log of a container, message parts only.</summary>
    public string Log(string ns, string pod, string container, bool previous = false)
    {
        var location = Kubelet.Workers!.Find(ns, pod, container, previous) ?? throw new InvalidOperationException($"no container {container} in {ns}/{pod}");
        return File.Exists(location.LogPath)
            ? string.Concat(File.ReadAllLines(location.LogPath).Select(l => l.Split(' ', 4) is { Length: 4 } p ? p[3] + (p[2] == "F" ? "\n" : "") : ""))
            : "";
    }

    /// <summary>Waits until the container's log contains <paramref name="expected"/>.</summary>
    public async Task WaitLogAsync(string ns, string pod, string container, string expected, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? Bound);
        var log = "";
        while (DateTime.UtcNow < deadline)
        {
            log = Log(ns, pod, container);
            if (log.Contains(expected, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"log of {pod}/{container} never contained \"{expected}\": {log}");
    }

    /// <summary>The real kubectl against the fixture's API server (admin).</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) =>
        Testing.Kubectl.RunAsync(_host!.KubeconfigPath, _dir, Bound, args);

    public async Task<IList<Corev1Event>> EventsAsync(string ns, string pod) =>
        (await Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={pod}")).Items;

    public async Task DisposeAsync()
    {
        if (_host is null)
        {
            return;
        }

        // Remove every pod this kubelet ran, then stop it.
        foreach (var pod in (await Client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: $"spec.nodeName={NodeName}")).Items)
        {
            await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, new V1DeleteOptions { GracePeriodSeconds = 0 });
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && Kubelet.Workers?.Known.Count > 0)
        {
            await Task.Delay(200);
        }

        await Kubelet.DisposeAsync();
        _kubeletClient?.Dispose();
        Client.Dispose();
        await _host.StopAsync(CancellationToken.None);
        await _host.DisposeAsync();
        await _store!.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A tmpfs still mounted; left for the OS.
        }
    }
}

[CollectionDefinition("containerd")]
public sealed class ContainerdCollection : ICollectionFixture<KubeletFixture>;
