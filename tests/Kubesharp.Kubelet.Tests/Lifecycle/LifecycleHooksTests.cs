using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s.Models;
using Kubesharp.Kubelet.Lifecycle;
using Kubesharp.Kubelet.Probes;
using Kubesharp.Kubelet.Tests.Probes;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Kubelet.Tests.Lifecycle;

public sealed class LifecycleHooksTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private const string Where = "for Container \"app\" in Pod \"web_default(uid-1)\"";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", CultureInfo.InvariantCulture));
    private readonly FakeCommandRunner _commands = new();
    private readonly RecordingEventRecorder _events = new();

    private static V1Pod Pod(int port = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "uid-1" },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Ports = [new V1ContainerPort { Name = "web", ContainerPort = port }] }] },
    };

    private LifecycleHooks Hooks(ProbeRunner runner) => new(runner, _time, _events);

    [Fact]
    public async Task Http_hook_succeeds_on_any_status_and_sends_the_lifecycle_user_agent()
    {
        await using var server = new TestHttpServer(_ => TestHttpServer.Response(500, "oops"));
        using var runner = new ProbeRunner(_commands, TimeProvider.System);
        var handler = new V1LifecycleHandler { HttpGet = new V1HTTPGetAction { Port = "web", Path = "/hook" } };

        var message = await Hooks(runner).RunAsync(Pod(server.Port), "app", "cid", handler, "127.0.0.1", CancellationToken.None).WaitAsync(Guard);

        // Upstream's hook ignores the response's status: only a transport error fails it.
        Assert.Null(message);
        var request = await server.Requests.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.Equal(("/hook", "kube-lifecycle/1.32"), (request.Path, request.Headers["User-Agent"]));
    }

    [Fact]
    public async Task Http_hook_that_cannot_connect_fails_with_upstreams_message()
    {
        var port = ClosedPort();
        using var runner = new ProbeRunner(_commands, TimeProvider.System);
        var handler = new V1LifecycleHandler { HttpGet = new V1HTTPGetAction { Port = port, Path = "/hook" } };

        var message = await Hooks(runner).RunAsync(Pod(), "app", "cid", handler, "127.0.0.1", CancellationToken.None).WaitAsync(Guard);

        Assert.Equal($"HTTP lifecycle hook (/hook) {Where} failed - error: Get \"http://127.0.0.1:{port}/hook\": dial tcp 127.0.0.1:{port}: connect: connection refused", message);
    }

    [Fact]
    public async Task Post_start_failure_records_the_fixed_event_and_returns_the_message()
    {
        _commands.Result = new CommandResult(3, Encoding.UTF8.GetBytes("partial\n"), Encoding.UTF8.GetBytes("no db\n"));
        using var runner = new ProbeRunner(_commands, TimeProvider.System);
        var handler = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sh", "-c", "exit 3"] } };

        var message = await Hooks(runner).RunPostStartAsync(Pod(), "app", "cid", handler, null, CancellationToken.None).WaitAsync(Guard);

        Assert.Equal($"Exec lifecycle hook ([sh -c exit 3]) {Where} failed - error: command 'sh -c exit 3' exited with 3: no db\n, message: \"partial\nno db\n\"", message);
        Assert.True(_commands.Calls.TryDequeue(out var call));
        Assert.Equal(TimeSpan.Zero, call.Timeout);
        var recorded = Assert.Single(_events.Events);
        Assert.Equal(("Warning", "FailedPostStartHook", "PostStartHook failed", "spec.containers{app}"), (recorded.Type, recorded.Reason, recorded.Message, recorded.InvolvedObject.FieldPath));
    }

    [Fact]
    public async Task Exec_hook_that_exits_zero_succeeds()
    {
        using var runner = new ProbeRunner(_commands, TimeProvider.System);

        var message = await Hooks(runner).RunPostStartAsync(Pod(), "app", "cid", new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["true"] } }, null, CancellationToken.None);

        Assert.Null(message);
        Assert.Empty(_events.Events);
    }

    [Fact]
    public async Task Sleep_hook_waits_its_seconds_on_the_time_provider()
    {
        using var runner = new ProbeRunner(_commands, _time);
        var hooks = Hooks(runner);

        var sleeping = hooks.RunAsync(Pod(), "app", "cid", new V1LifecycleHandler { Sleep = new V1SleepAction { Seconds = 5 } }, null, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(sleeping.IsCompleted, "4 s of a 5 s sleep");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(await sleeping.WaitAsync(Guard));
    }

    [Fact]
    public async Task Pre_stop_is_bounded_by_the_grace_period_without_a_failure_event()
    {
        using var runner = new ProbeRunner(_commands, _time);
        var hooks = Hooks(runner);

        var stopping = hooks.RunPreStopAsync(Pod(), "app", "cid", new V1LifecycleHandler { Sleep = new V1SleepAction { Seconds = 60 } }, null, TimeSpan.FromSeconds(10), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(10), await stopping.WaitAsync(Guard));
        Assert.Empty(_events.Events);
    }

    [Fact]
    public async Task Pre_stop_failure_records_the_fixed_event()
    {
        _commands.Result = new CommandResult(1, [], []);
        using var runner = new ProbeRunner(_commands, _time);

        var elapsed = await Hooks(runner).RunPreStopAsync(Pod(), "app", "cid", new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["false"] } }, null, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(TimeSpan.Zero, elapsed);
        var recorded = Assert.Single(_events.Events);
        Assert.Equal(("Warning", "FailedPreStopHook", "PreStopHook failed"), (recorded.Type, recorded.Reason, recorded.Message));
    }

    [Fact]
    public async Task Sleep_hook_cut_short_fails()
    {
        using var runner = new ProbeRunner(_commands, _time);
        using var cancel = new CancellationTokenSource();

        var sleeping = Hooks(runner).RunAsync(Pod(), "app", "cid", new V1LifecycleHandler { Sleep = new V1SleepAction { Seconds = 5 } }, null, cancel.Token);
        await cancel.CancelAsync();

        Assert.Equal($"Sleep lifecycle hook (5) {Where} failed - error: container terminated before sleep hook finished", await sleeping.WaitAsync(Guard));
    }

    [Fact]
    public async Task Tcp_socket_hook_is_not_runnable_as_upstream()
    {
        using var runner = new ProbeRunner(_commands, _time);

        var message = await Hooks(runner).RunAsync(Pod(), "app", "cid", new V1LifecycleHandler { TcpSocket = new V1TCPSocketAction { Port = 80 } }, null, CancellationToken.None);

        Assert.StartsWith("Cannot run handler: invalid handler: ", message, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
