using System.Diagnostics;
using System.Globalization;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Pods;
using Kubesharp.Testing;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Tests.EndToEnd.Walkthrough;

/// <summary>
/// <c>kubesharp server</c> as a new user runs it, with its own agent on the machine's default containerd
/// (<c>scripts/runtime.sh up</c>): a fresh data directory, bound to this host's address on the default route (so that
/// pods reach the API server and the cluster DNS through their Services), its own free ports for the API server and
/// the DNS server, a node name of its own. It can be killed with SIGKILL and started again on the same data directory
/// and ports. Driven with the real kubectl; the runtime is inspected through the CRI.
/// <para>
/// Its pods all live in the <c>default</c> namespace, which on the default containerd only this test uses: disposal
/// deletes what is left through the API while the server runs, stops the server by its PID, then stops and removes
/// every sandbox of that namespace still in containerd, and deletes the data directory. Not thread-safe.
/// </para>
/// </summary>
internal sealed class WalkthroughServer : IAsyncDisposable
{
    public const string NodeName = "ks-walkthrough";
    public const string Namespace = "default";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan KubectlTimeout = TimeSpan.FromSeconds(90);

    private readonly string _binary;
    private readonly string _dnsPort;
    private readonly string _kubectlHome;
    private KubesharpProcess? _process;

    private WalkthroughServer(string binary, string repo, ContainerRuntimeEnvironment runtime)
    {
        _binary = binary;
        Repo = repo;
        Runtime = runtime;
        var id = Guid.NewGuid().ToString("N")[..8];
        DataDir = Path.Combine(Path.GetTempPath(), "ks-walkthrough-" + id);
        _kubectlHome = Path.Combine(Path.GetTempPath(), "ks-walkthrough-kubectl-" + id);
        Directory.CreateDirectory(_kubectlHome);
        Address = ApiServerHost.HostAddress();
        Port = FreePorts.Next();
        _dnsPort = FreePorts.Next().ToString(CultureInfo.InvariantCulture);
        Cri = new CriClient(runtime.Socket, TimeSpan.FromSeconds(30));
    }

    public string Repo { get; }

    public string DataDir { get; }

    public string Address { get; }

    public int Port { get; }

    public ContainerRuntimeEnvironment Runtime { get; }

    public CriClient Cri { get; }

    public string Kubeconfig => Path.Combine(DataDir, "admin.kubeconfig");

    public string Examples => Path.Combine(Repo, "examples");

    /// <summary>The server's PID (it changes with <see cref="RestartAsync"/>).</summary>
    public int Pid => _process?.Pid ?? throw new InvalidOperationException("not running");

    /// <summary>Starts the server the first time; returns once it serves (its admin kubeconfig is written).</summary>
    public static async Task<WalkthroughServer> StartAsync(string repo, ContainerRuntimeEnvironment runtime)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "kubesharp");
        var server = new WalkthroughServer(binary, repo, runtime);
        try
        {
            await server.LaunchAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary><c>kill -9</c> of the server by its PID: the in-process kubelet dies with it, the containers do not.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("not running");
        using (var target = Process.GetProcessById(process.Pid))
        {
            // SIGKILL to this one process, as `kill -9 PID` sends: not to its children, which a crash would not reach either.
            target.Kill(entireProcessTree: false);
            await target.WaitForExitAsync();
        }

        await process.DisposeAsync();
        _process = null;
    }

    /// <summary>Starts the server again on the same data directory, address and ports; returns once it serves.</summary>
    public Task RestartAsync() => _process is null ? LaunchAsync() : throw new InvalidOperationException("still running");

    private async Task LaunchAsync()
    {
        // The server writes its admin kubeconfig once it serves, at every start: a stale one from the last run says nothing.
        if (File.Exists(Kubeconfig))
        {
            File.Delete(Kubeconfig);
        }

        _process = KubesharpProcess.Start(_binary, "server",
        [
            "server",
            "--data-dir", DataDir,
            "--bind-address", Address,
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--node-name", NodeName,
            "--container-runtime-endpoint", Runtime.Socket,
            "--cluster-dns-port", _dnsPort,
            "--scheduler-secure-port", "0",
        ]);
        var wait = Stopwatch.StartNew();
        while (!File.Exists(Kubeconfig))
        {
            if (_process.HasExited || wait.Elapsed > ReadyTimeout)
            {
                throw new InvalidOperationException($"kubesharp server did not serve within {ReadyTimeout} (exited: {_process.HasExited}): {_process.LastLines()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The last lines the server wrote, for failure messages.</summary>
    public string Log() => _process?.LastLines() ?? "(not running)";

    /// <summary><c>kubectl ARGS</c>; throws with kubectl's output (and the server's last lines) when it fails.</summary>
    public async Task<string> KubectlAsync(params string[] args)
    {
        var (code, stdout, stderr) = await TryKubectlAsync(args);
        return code == 0 ? stdout : throw new InvalidOperationException($"kubectl {string.Join(' ', args)}: exit {code}: {stderr.Trim()} {stdout.Trim()}\nserver:\n{Log()}");
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> TryKubectlAsync(params string[] args) =>
        Kubectl.RunAsync(Kubeconfig, _kubectlHome, KubectlTimeout, args);

    /// <summary>Polls <paramref name="check"/> every second until it holds; fails with its last detail after <paramref name="bound"/>.</summary>
    public static async Task EventuallyAsync(string what, TimeSpan bound, Func<Task<(bool Ok, string Detail)>> check)
    {
        var wait = Stopwatch.StartNew();
        var detail = "";
        while (true)
        {
            try
            {
                bool ok;
                (ok, detail) = await check();
                if (ok)
                {
                    return;
                }
            }
            catch (InvalidOperationException e)
            {
                detail = e.Message;
            }

            if (wait.Elapsed > bound)
            {
                throw new TimeoutException($"{what}: not within {bound}; last: {detail}");
            }

            await Task.Delay(1000);
        }
    }

    /// <summary>The sandboxes in containerd of pods in <see cref="Namespace"/> (any state).</summary>
    public async Task<IReadOnlyList<PodSandbox>> SandboxesAsync()
    {
        var filter = new PodSandboxFilter();
        filter.LabelSelector[RuntimeLabels.PodNamespace] = Namespace;
        return await Cri.ListPodSandboxesAsync(filter);
    }

    /// <summary>The containers in containerd of pods in <see cref="Namespace"/> (any state).</summary>
    public async Task<IReadOnlyList<Container>> ContainersAsync()
    {
        var filter = new ContainerFilter();
        filter.LabelSelector[RuntimeLabels.PodNamespace] = Namespace;
        return await Cri.ListContainersAsync(filter);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                // What a failed test left: deleted through the API while the kubelet still runs, so that it stops them.
                await TryKubectlAsync("delete", "-f", Examples, "--ignore-not-found", "--wait=true", "--timeout=60s");
            }

            // Stopped by its PID (KubesharpProcess kills by PID and waits).
            await _process.DisposeAsync();
            _process = null;
        }

        // Whatever the kubelet did not remove stays in the shared containerd for the tests after this one: remove it.
        try
        {
            foreach (var sandbox in await SandboxesAsync())
            {
                await Cri.StopPodSandboxAsync(sandbox.Id);
                await Cri.RemovePodSandboxAsync(sandbox.Id);
            }
        }
        catch (Grpc.Core.RpcException e)
        {
            await Console.Error.WriteLineAsync($"walkthrough: cleaning the sandboxes of namespace {Namespace} failed: {e.Status}");
        }

        Cri.Dispose();
        if (Directory.Exists(DataDir))
        {
            // The tmpfs volumes (service account tokens) of pods the kubelet did not tear down are still mounted there.
            var prefix = DataDir + "/";
            foreach (var mount in File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).Reverse())
            {
                await CommandResult.RunAsync("umount", ["-l", mount], TimeSpan.FromSeconds(10));
            }

            Directory.Delete(DataDir, recursive: true);
        }

        if (Directory.Exists(_kubectlHome))
        {
            Directory.Delete(_kubectlHome, recursive: true);
        }
    }
}
