using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Kubesharp.Testing;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Tests.Cluster;

/// <summary>
/// A cluster of one server and two agents on this machine (<c>scripts/cluster.sh up</c> with <c>NODES=2</c>), brought up
/// once for the <see cref="MultiNodeClusterCollection"/> and taken down (<c>cluster.sh down</c>) when it ends: nodes
/// <c>ks-node1</c> and <c>ks-node2</c> at 10.77.0.11 and 10.77.0.12, each in its own network namespace with its own
/// containerd, the server at https://10.77.0.1:6443. Uses the <c>kubesharp</c> binary beside the tests (or
/// <c>KUBESHARP_BIN</c>).
/// <para>
/// Use: <c>Skip.IfNot(cluster.Available, cluster.SkipReason);</c>. Unavailable (not root, or <c>up</c> failed) makes the
/// tests skip visibly, or fail when <c>KUBESHARP_REQUIRE_RUNTIME=1</c>. The helpers drive the cluster with the real
/// kubectl and are safe to call from several tests (each test uses its own object names).
/// </para>
/// </summary>
public sealed class MultiNodeCluster : IAsyncLifetime
{
    public const int Nodes = 2;
    public const string Busybox = ContainerRuntimeEnvironment.BusyboxImage;
    public const string Bridge = "ksbr0";

    /// <summary>The cluster's pod CIDR (cluster.sh's default): apart from the 10.42.0.0/16 of a single-node server on this host.</summary>
    public const string ClusterCidr = "10.44.0.0/16";

    /// <summary>
    /// The server's node lifecycle timings (<c>KUBESHARP_CLUSTER_SERVER_ARGS</c>): a node whose agent stops is marked
    /// Unknown after 20 s instead of 40 s, looked at every second. The kubelet renews its Lease every 10 s, so the grace
    /// period stays well above that or healthy nodes would flap.
    /// </summary>
    public const string ServerArgs = "--node-monitor-grace-period 20s --node-monitor-period 1s";

    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan KubectlTimeout = TimeSpan.FromSeconds(90);

    private string? _repo;

    public string Dir { get; } = Environment.GetEnvironmentVariable("KUBESHARP_CLUSTER_DIR") is { Length: > 0 } d ? d : "/run/kubesharp/cluster";

    public string Kubeconfig => Path.Combine(Dir, "server", "admin.kubeconfig");

    /// <summary>kubectl's HOME (its discovery cache), private to the test run.</summary>
    public string KubectlHome { get; } = Path.Combine(Path.GetTempPath(), "ks-cluster-kubectl-" + Guid.NewGuid().ToString("N")[..8]);

    public bool Available => SkipReason is null;

    public string? SkipReason { get; private set; } = "not started";

    /// <summary>What <c>cluster.sh up</c> printed, for failure messages.</summary>
    public string UpOutput { get; private set; } = "";

    /// <summary>kube-proxy's mode on node i is <c>ProxyModes[i - 1]</c>: both modes serve the same cluster.</summary>
    public static readonly string[] ProxyModes = ["iptables", "nftables"];

    public static string NodeName(int i) => $"ks-node{i}";

    public static string NodeIp(int i) => $"10.77.0.{10 + i}";

    public static string NetnsPath(int i) => $"/var/run/netns/ks-node{i}";

    public async Task InitializeAsync()
    {
        if (Environment.UserName != "root")
        {
            SkipReason = "the multi-node cluster needs root (network namespaces, a bridge, containerd)";
        }
        else if ((_repo = FindRepositoryRoot()) is null)
        {
            SkipReason = $"no Kubesharp.slnx above {AppContext.BaseDirectory}: cannot find scripts/cluster.sh";
        }
        else
        {
            var up = await Task.Run(() => CommandResult.Run(Script("up"), UpTimeout));
            UpOutput = up.Describe();
            SkipReason = up.ExitCode == 0 ? null : $"scripts/cluster.sh up failed ({UpOutput})";
        }

        Directory.CreateDirectory(KubectlHome);
        if (SkipReason is not null && Environment.GetEnvironmentVariable(ContainerRuntimeEnvironment.RequireVariable) == "1")
        {
            throw new InvalidOperationException($"{ContainerRuntimeEnvironment.RequireVariable}=1 but the multi-node cluster is unavailable: {SkipReason}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_repo is not null && Environment.UserName == "root")
        {
            var down = await Task.Run(() => CommandResult.Run(Script("down"), DownTimeout));
            if (down.ExitCode != 0)
            {
                await Console.Error.WriteLineAsync($"scripts/cluster.sh down failed: {down.Describe()}");
            }
        }

        if (Directory.Exists(KubectlHome))
        {
            Directory.Delete(KubectlHome, recursive: true);
        }
    }

    /// <summary>
    /// <c>cluster.sh up</c> again: idempotent, it starts what is missing (a stopped agent) and waits until every node is
    /// Ready. Throws with the script's output when it fails.
    /// </summary>
    public async Task UpAgainAsync()
    {
        var up = await Task.Run(() => CommandResult.Run(Script("up"), UpTimeout));
        if (up.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/cluster.sh up failed: {up.Describe()}");
        }
    }

    /// <summary><c>kubectl ARGS</c> against the cluster; throws with kubectl's output when it fails.</summary>
    public async Task<string> KubectlAsync(params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubeconfig, KubectlHome, KubectlTimeout, args);
        return code == 0 ? stdout : throw new InvalidOperationException($"kubectl {string.Join(' ', args)}: exit {code}: {stderr.Trim()}{stdout.Trim()}");
    }

    /// <summary><c>kubectl ARGS</c> against the cluster: its exit code and output, for commands expected to fail.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> TryKubectlAsync(params string[] args) =>
        Kubectl.RunAsync(Kubeconfig, KubectlHome, KubectlTimeout, args);

    /// <summary>Creates (or updates) objects from JSON with <c>kubectl apply</c>.</summary>
    public async Task ApplyAsync(JsonNode manifest)
    {
        var file = Path.Combine(KubectlHome, $"manifest-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, manifest.ToJsonString());
        try
        {
            await KubectlAsync("apply", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// A busybox pod pinned on node <paramref name="node"/> (1-based) through <c>nodeName</c>, running
    /// <c>sh -c <paramref name="script"/></c>; optionally with a container port published as a hostPort. Returns once
    /// the pod is Ready (bounded).
    /// </summary>
    public async Task<string> RunPodAsync(string name, int node, string script, int containerPort = 0, int hostPort = 0, string ns = "default")
    {
        var container = new JsonObject
        {
            ["name"] = "main",
            ["image"] = Busybox,
            ["command"] = new JsonArray("sh", "-c", script),
        };
        if (containerPort != 0)
        {
            var port = new JsonObject { ["containerPort"] = containerPort };
            if (hostPort != 0)
            {
                port["hostPort"] = hostPort;
            }

            container["ports"] = new JsonArray(port);
        }

        await ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = NodeName(node),
                ["terminationGracePeriodSeconds"] = 1,
                ["containers"] = new JsonArray(container),
            },
        });
        await WaitReadyAsync("pod/" + name, ns);
        return name;
    }

    /// <summary>
    /// A Deployment of busybox pods running <c>sh -c <paramref name="script"/></c> with label <c>app=NAME</c>, optionally
    /// kept on one node through a nodeSelector on <c>kubernetes.io/hostname</c>; returns once every replica is available.
    /// </summary>
    public async Task CreateDeploymentAsync(string name, int replicas, string script, int containerPort = 0, int? node = null, string ns = "default")
    {
        var container = new JsonObject { ["name"] = "main", ["image"] = Busybox, ["command"] = new JsonArray("sh", "-c", script) };
        if (containerPort != 0)
        {
            container["ports"] = new JsonArray(new JsonObject { ["containerPort"] = containerPort });
        }

        var podSpec = new JsonObject { ["terminationGracePeriodSeconds"] = 1, ["containers"] = new JsonArray(container) };
        if (node is { } n)
        {
            podSpec["nodeSelector"] = new JsonObject { ["kubernetes.io/hostname"] = NodeName(n) };
        }

        await ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                    ["spec"] = podSpec,
                },
            },
        });
        await KubectlAsync("rollout", "status", "deployment/" + name, "-n", ns, "--timeout=90s");
    }

    /// <summary><c>kubectl wait --for=condition=Ready</c> (bounded).</summary>
    public Task WaitReadyAsync(string resource, string ns = "default") =>
        KubectlAsync("wait", "--for=condition=Ready", resource, "-n", ns, "--timeout=90s");

    public async Task<string> PodIpAsync(string pod, string ns = "default") =>
        (await KubectlAsync("get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.podIP}")).Trim();

    /// <summary>The pods with label <c>app=APP</c>: name, node and pod IP.</summary>
    public async Task<IReadOnlyList<(string Name, string Node, string Ip)>> PodsAsync(string app, string ns = "default")
    {
        var lines = await KubectlAsync("get", "pods", "-n", ns, "-l", "app=" + app, "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP}{\"\\n\"}{end}");
        return [.. lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Select(f => (f[0], f.ElementAtOrDefault(1) ?? "", f.ElementAtOrDefault(2) ?? ""))];
    }

    /// <summary><c>kubectl exec POD -- COMMAND</c>: its exit code and output.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> ExecAsync(string pod, params string[] command) =>
        TryKubectlAsync(["exec", pod, "--", .. command]);

    /// <summary>Runs a command in node <paramref name="node"/>'s network namespace (<c>nsenter --net</c>), bounded to 60 s.</summary>
    public static Task<CommandResult> InNodeAsync(int node, params string[] command) =>
        CommandResult.RunAsync("nsenter", [$"--net={NetnsPath(node)}", "--", .. command], TimeSpan.FromSeconds(60));

    /// <summary>The node's <c>spec.podCIDR</c>.</summary>
    public async Task<string> PodCidrAsync(int node) =>
        (await KubectlAsync("get", "node", NodeName(node), "-o", "jsonpath={.spec.podCIDR}")).Trim();

    /// <summary>
    /// Whether this host routes <paramref name="ip"/> through the cluster's bridge: the host's routes to the pod CIDRs
    /// have metric 100, so a connected route of another test's <c>cni0</c> to the same CIDR wins over them.
    /// </summary>
    public static async Task<bool> HostRoutesThroughBridgeAsync(string ip)
    {
        var route = await CommandResult.RunAsync("ip", ["-4", "route", "get", ip], TimeSpan.FromSeconds(10));
        return route.ExitCode == 0 && route.Stdout.Contains("dev " + Bridge, StringComparison.Ordinal);
    }

    private ProcessStartInfo Script(string verb)
    {
        var info = new ProcessStartInfo(Path.Combine(_repo!, "scripts", "cluster.sh"), [verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _repo,
        };
        info.Environment["NODES"] = Nodes.ToString(CultureInfo.InvariantCulture);
        info.Environment["KUBESHARP_CLUSTER_DIR"] = Dir;
        info.Environment["KUBESHARP_CLUSTER_PROXY_MODES"] = string.Join(' ', ProxyModes);
        info.Environment["KUBESHARP_CLUSTER_SERVER_ARGS"] = ServerArgs;
        var besideTests = Path.Combine(AppContext.BaseDirectory, "kubesharp");
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBESHARP_BIN")) && File.Exists(besideTests))
        {
            info.Environment["KUBESHARP_BIN"] = besideTests;
        }

        return info;
    }

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kubesharp.slnx")) && File.Exists(Path.Combine(dir.FullName, "scripts", "cluster.sh")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>The tests that share one <see cref="MultiNodeCluster"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class MultiNodeClusterCollection : ICollectionFixture<MultiNodeCluster>
{
    public const string Name = "multi-node cluster";
}
