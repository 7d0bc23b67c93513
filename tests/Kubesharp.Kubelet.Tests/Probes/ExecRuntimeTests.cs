using Grpc.Core;
using k8s.Models;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Lifecycle;
using Kubesharp.Kubelet.Probes;

namespace Kubesharp.Kubelet.Tests.Probes;

/// <summary>
/// A busybox container in a host-network sandbox on the machine's containerd (<c>KUBESHARP_CONTAINERD_SOCKET</c> or the
/// project's default socket), for exec probes and hooks through the real CRI. Absent runtime: the tests skip visibly,
/// or fail when <c>KUBESHARP_REQUIRE_RUNTIME=1</c>.
/// </summary>
public sealed class BusyboxContainerFixture : IAsyncLifetime
{
    private const string DefaultSocket = "/run/kubesharp/containerd/containerd.sock";
    private const string Image = "127.0.0.1:5000/library/busybox:1.35";
    private string? _sandboxId;
    private string? _logDir;

    public CriClient? Cri { get; private set; }

    public string? ContainerId { get; private set; }

    public string? Unavailable { get; private set; }

    public async Task InitializeAsync()
    {
        var socket = Environment.GetEnvironmentVariable("KUBESHARP_CONTAINERD_SOCKET") is { Length: > 0 } s ? s : DefaultSocket;
        if (!File.Exists(socket))
        {
            Unavailable = $"no containerd socket at {socket}";
            return;
        }

        Cri = new CriClient(socket, TimeSpan.FromSeconds(60));
        // A containerd just restarted (by the outage test, earlier in the same collection) may not answer yet: a socket
        // that is there but silent is waited for, up to a bound.
        var wait = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await Cri.VersionAsync();
                break;
            }
            catch (Exception e) when (CriClient.IsUnavailable(e))
            {
                if (wait.Elapsed > TimeSpan.FromSeconds(90))
                {
                    Unavailable = $"containerd at {socket} does not answer: {e.Message}";
                    return;
                }

                await Task.Delay(500);
            }
        }

        if (await Cri.ImageStatusAsync(Image) is null)
        {
            await Cri.PullImageAsync(Image, null, null);
        }

        var uid = Guid.NewGuid().ToString("N");
        _logDir = Directory.CreateTempSubdirectory("kubesharp-probes-").FullName;
        var sandbox = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = $"probes-{uid[..8]}", Uid = uid, Namespace = "kubesharp-probe-tests" },
            LogDirectory = _logDir,
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node } },
            },
        };
        _sandboxId = await Cri.RunPodSandboxAsync(sandbox);
        var container = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = "app" },
            Image = new ImageSpec { Image = Image },
            LogPath = "app.log",
        };
        container.Command.AddRange(["sleep", "3600"]);
        ContainerId = await Cri.CreateContainerAsync(_sandboxId, container, sandbox);
        await Cri.StartContainerAsync(ContainerId);
    }

    public async Task DisposeAsync()
    {
        if (Cri is not null && _sandboxId is not null)
        {
            await Cri.StopPodSandboxAsync(_sandboxId);
            await Cri.RemovePodSandboxAsync(_sandboxId);
        }

        Cri?.Dispose();
        if (_logDir is not null)
        {
            Directory.Delete(_logDir, recursive: true);
        }
    }

    public void SkipUnlessAvailable()
    {
        if (Unavailable is not null && Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_RUNTIME") == "1")
        {
            throw new InvalidOperationException($"KUBESHARP_REQUIRE_RUNTIME=1 but {Unavailable}");
        }

        Skip.If(Unavailable is not null, Unavailable);
    }
}

// In the containerd collection: never beside the kubelet's outage test, which stops containerd.
[Collection("containerd")]
public sealed class ExecRuntimeTests(BusyboxContainerFixture fixture) : IClassFixture<BusyboxContainerFixture>
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private static V1Pod Pod() => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "uid-1" },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Env = [new V1EnvVar { Name = "WORD", Value = "boom" }] }] },
    };

    private async Task<ProbeOutcome> ExecAsync(params string[] command)
    {
        fixture.SkipUnlessAvailable();
        using var runner = new ProbeRunner(fixture.Cri, TimeProvider.System);
        var pod = Pod();
        var probe = new V1Probe { Exec = new V1ExecAction { Command = command }, TimeoutSeconds = 1 };
        return await runner.RunAsync(pod, pod.Spec.Containers[0], fixture.ContainerId!, probe, null, CancellationToken.None).WaitAsync(Guard);
    }

    [SkippableFact]
    public async Task Exec_probe_exit_1_is_a_failure_with_its_output()
    {
        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "boom\n"), await ExecAsync("sh", "-c", "echo $(WORD); exit 1"));
    }

    [SkippableFact]
    public async Task Exec_probe_exit_0_is_a_success()
    {
        Assert.Equal(new ProbeOutcome(ProbeResult.Success, "out\nerr\n"), await ExecAsync("sh", "-c", "echo out; echo err >&2"));
    }

    [SkippableFact]
    public async Task Exec_probe_past_its_timeout_is_a_failure()
    {
        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "command \"sleep 30\" timed out"), await ExecAsync("sleep", "30"));
    }

    [SkippableFact]
    public async Task Exec_probe_of_a_missing_container_is_an_error()
    {
        fixture.SkipUnlessAvailable();
        using var runner = new ProbeRunner(fixture.Cri, TimeProvider.System);
        var pod = Pod();

        var outcome = await runner.RunAsync(pod, pod.Spec.Containers[0], "no-such-container", new V1Probe { Exec = new V1ExecAction { Command = ["true"] } }, null, CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(ProbeResult.Unknown, outcome.Result);
        Assert.StartsWith($"rpc error: code = {StatusCode.NotFound}", outcome.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Exec_post_start_hook_failure_carries_the_exit_code_and_stderr()
    {
        fixture.SkipUnlessAvailable();
        using var runner = new ProbeRunner(fixture.Cri, TimeProvider.System);
        var hooks = new LifecycleHooks(runner, TimeProvider.System);
        var handler = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sh", "-c", "echo nope >&2; exit 3"] } };

        var message = await hooks.RunAsync(Pod(), "app", fixture.ContainerId!, handler, null, CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(
            "Exec lifecycle hook ([sh -c echo nope >&2; exit 3]) for Container \"app\" in Pod \"web_default(uid-1)\" failed - error: command 'sh -c echo nope >&2; exit 3' exited with 3: nope\n, message: \"nope\n\"",
            message);
    }
}
