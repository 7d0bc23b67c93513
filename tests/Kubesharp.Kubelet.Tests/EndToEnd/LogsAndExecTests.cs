using System.Text;
using k8s.Models;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Kubelet.Tests.EndToEnd;

/// <summary>kubectl logs and exec, and the C# client's exec, through the API server to the kubelet and containerd.</summary>
[Collection("containerd")]
public sealed class LogsAndExecTests(KubeletFixture f)
{
    [SkippableFact]
    public async Task Kubectl_logs_follows_and_exec_returns_the_commands_exit_code()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        await f.CreatePodAsync(ns, new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "talker" },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "c", Image = ContainerRuntimeEnvironment.BusyboxImage, Command = ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done"] }],
            },
        });
        await f.WaitAsync(ns, "talker", p => p.Status?.Phase == "Running", "running");

        // Follow: kubectl keeps printing as the container writes, until it has seen ten lines.
        var follow = await f.KubectlAsync("logs", "-f", "talker", "-n", ns, "--pod-running-timeout=20s", "--limit-bytes=70");
        Assert.True(follow.ExitCode == 0, follow.Stderr);
        Assert.StartsWith("line 0\nline 1\n", follow.Stdout, StringComparison.Ordinal);
        Assert.Equal(70, Encoding.UTF8.GetByteCount(follow.Stdout));

        var tail = await f.KubectlAsync("logs", "talker", "-n", ns, "--tail=1", "--timestamps");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line \d+\n$", tail.Stdout);

        var exec = await f.KubectlAsync("exec", "talker", "-n", ns, "--", "sh", "-c", "echo from-$HOSTNAME; exit 3");
        Assert.Equal(3, exec.ExitCode);
        Assert.Equal("from-talker\n", exec.Stdout);

        var ok = await f.KubectlAsync("exec", "talker", "-n", ns, "--", "true");
        Assert.Equal(0, ok.ExitCode);
    }

    [SkippableFact]
    public async Task The_csharp_clients_exec_runs_a_command_in_the_container()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        await f.CreatePodAsync(ns, new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "target" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = ContainerRuntimeEnvironment.BusyboxImage, Command = ["sleep", "3600"] }] },
        });
        await f.WaitAsync(ns, "target", p => p.Status?.Phase == "Running", "running");

        var output = new StringBuilder();
        var code = await f.Client.NamespacedPodExecAsync(
            "target",
            ns,
            "c",
            ["sh", "-c", "echo hello-from-exec; exit 4"],
            tty: false,
            async (stdin, stdout, stderr) =>
            {
                using var reader = new StreamReader(stdout);
                output.Append(await reader.ReadToEndAsync());
            },
            CancellationToken.None);
        Assert.Equal("hello-from-exec\n", output.ToString());
        Assert.Equal(4, code);
    }
}
