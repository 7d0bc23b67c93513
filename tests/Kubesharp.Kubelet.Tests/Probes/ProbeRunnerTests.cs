using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s.Models;
using Kubesharp.Kubelet.Probes;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Kubelet.Tests.Probes;

public sealed class ProbeRunnerTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static V1Pod Pod() => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "uid-1" },
        Spec = new V1PodSpec { Containers = [Container()] },
    };

    private static V1Container Container() => new()
    {
        Name = "app",
        Ports = [new V1ContainerPort { Name = "http", ContainerPort = 1 }],
        Env = [new V1EnvVar { Name = "GREETING", Value = "hello" }, new V1EnvVar { Name = "SECRET", ValueFrom = new V1EnvVarSource() }],
    };

    private static V1Probe Http(int port, string path = "/healthz", params V1HTTPHeader[] headers) =>
        new() { HttpGet = new V1HTTPGetAction { Port = port, Path = path, HttpHeaders = headers.Length == 0 ? null : headers }, TimeoutSeconds = 1 };

    private static Task<ProbeOutcome> RunAsync(ProbeRunner runner, V1Probe probe, V1Container? container = null) =>
        runner.RunAsync(Pod(), container ?? Container(), "cid", probe, "127.0.0.1", CancellationToken.None).WaitAsync(Guard);

    [Fact]
    public async Task Http_200_is_success_with_the_body_and_upstreams_headers()
    {
        await using var server = new TestHttpServer(_ => TestHttpServer.Response(200, "ok"));
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, Http(server.Port, "/healthz?full=1", new V1HTTPHeader { Name = "X-Custom", Value = "v" }, new V1HTTPHeader { Name = "Host", Value = "example.test" }));

        Assert.Equal(new ProbeOutcome(ProbeResult.Success, "ok"), outcome);
        var request = await server.Requests.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.Equal("/healthz?full=1", request.Path);
        Assert.Equal("kube-probe/1.32", request.Headers["User-Agent"]);
        Assert.Equal("*/*", request.Headers["Accept"]);
        Assert.Equal("v", request.Headers["X-Custom"]);
        Assert.Equal("example.test", request.Headers["Host"]);
        Assert.Equal("close", request.Headers["Connection"]);
        Assert.False(request.Headers.ContainsKey("Accept-Encoding"), "probes ask for no compression");
    }

    [Fact]
    public async Task Http_user_agent_and_accept_can_be_overridden_and_an_empty_accept_removes_it()
    {
        await using var server = new TestHttpServer(_ => TestHttpServer.Response(204));
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, Http(server.Port, "/", new V1HTTPHeader { Name = "User-Agent", Value = "mine" }, new V1HTTPHeader { Name = "Accept", Value = "" }));

        Assert.Equal(ProbeResult.Success, outcome.Result);
        var request = await server.Requests.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.Equal("mine", request.Headers["User-Agent"]);
        Assert.False(request.Headers.ContainsKey("Accept"), "an empty Accept header removes it");
    }

    [Fact]
    public async Task Http_500_is_a_failure_without_the_body()
    {
        await using var server = new TestHttpServer(_ => TestHttpServer.Response(500, "secret stack trace"));
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, Http(server.Port));

        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "HTTP probe failed with statuscode: 500"), outcome);
    }

    [Fact]
    public async Task Http_redirect_to_the_same_host_is_followed()
    {
        await using var server = new TestHttpServer(r => r.Path == "/healthz"
            ? TestHttpServer.Response(301, "", "Location: /moved")
            : TestHttpServer.Response(200, "moved ok"));
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, Http(server.Port));

        Assert.Equal(new ProbeOutcome(ProbeResult.Success, "moved ok"), outcome);
        Assert.Equal("/healthz", (await server.Requests.Reader.ReadAsync()).Path);
        Assert.Equal("/moved", (await server.Requests.Reader.ReadAsync()).Path);
    }

    [Fact]
    public async Task Http_redirect_to_another_host_is_not_followed_and_is_a_warning()
    {
        await using var server = new TestHttpServer(_ => TestHttpServer.Response(302, "elsewhere", "Location: http://other.invalid/x"));
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, Http(server.Port));

        Assert.Equal(new ProbeOutcome(ProbeResult.Warning, "Probe terminated redirects, Response body: elsewhere"), outcome);
    }

    [Fact]
    public async Task Http_redirect_loop_stops_after_ten_redirects()
    {
        await using var server = new TestHttpServer(_ => TestHttpServer.Response(301, "", "Location: /again"));
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, Http(server.Port));

        Assert.Equal(ProbeResult.Failure, outcome.Result);
        Assert.Equal($"Get \"http://127.0.0.1:{server.Port}/again\": stopped after 10 redirects", outcome.Output);
    }

    [Fact]
    public async Task Http_body_is_read_up_to_10_KB()
    {
        var body = new string('a', 10 * 1024 + 100);
        await using var server = new TestHttpServer(_ => TestHttpServer.Response(200, body));
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, Http(server.Port));

        Assert.Equal(ProbeResult.Success, outcome.Result);
        Assert.Equal(10 * 1024, outcome.Output.Length);
    }

    [Fact]
    public async Task Http_timeout_is_a_failure_measured_on_the_time_provider()
    {
        await using var server = new TestHttpServer(_ => null);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var runner = new ProbeRunner(cri: null, time);

        var probing = runner.RunAsync(Pod(), Container(), "cid", Http(server.Port), "127.0.0.1", CancellationToken.None);
        await server.Requests.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.False(probing.IsCompleted, "the probe waits for the answer until its timeout");
        time.Advance(TimeSpan.FromSeconds(1));
        var outcome = await probing.WaitAsync(Guard);

        Assert.Equal(ProbeResult.Failure, outcome.Result);
        Assert.Equal($"Get \"http://127.0.0.1:{server.Port}/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)", outcome.Output);
    }

    [Fact]
    public async Task Http_port_by_container_port_name()
    {
        await using var server = new TestHttpServer(_ => TestHttpServer.Response(200, "named"));
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);
        var container = Container();
        container.Ports = [new V1ContainerPort { Name = "http", ContainerPort = server.Port }];

        var outcome = await RunAsync(runner, new V1Probe { HttpGet = new V1HTTPGetAction { Port = "http", Path = "/" } }, container);

        Assert.Equal(new ProbeOutcome(ProbeResult.Success, "named"), outcome);
    }

    [Theory]
    [InlineData("nope", "strconv.Atoi: parsing \"nope\": invalid syntax")]
    [InlineData("0", "invalid port number: 0")]
    [InlineData("70000", "invalid port number: 70000")]
    public async Task Http_port_that_cannot_be_resolved_is_an_error(string port, string error)
    {
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, new V1Probe { HttpGet = new V1HTTPGetAction { Port = port } });

        Assert.Equal(new ProbeOutcome(ProbeResult.Unknown, "", error), outcome);
    }

    [Fact]
    public async Task Http_connection_refused_is_a_failure_with_gos_text()
    {
        var port = ClosedPort();
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, Http(port, "/"));

        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, $"Get \"http://127.0.0.1:{port}/\": dial tcp 127.0.0.1:{port}: connect: connection refused"), outcome);
    }

    [Fact]
    public async Task Tcp_open_port_is_success()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);
        var container = Container();
        container.Ports = [new V1ContainerPort { Name = "db", ContainerPort = ((IPEndPoint)listener.LocalEndpoint).Port }];

        var outcome = await RunAsync(runner, new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "db" } }, container);

        Assert.Equal(new ProbeOutcome(ProbeResult.Success, ""), outcome);
    }

    [Fact]
    public async Task Tcp_closed_port_is_a_failure()
    {
        var port = ClosedPort();
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        var outcome = await RunAsync(runner, new V1Probe { TcpSocket = new V1TCPSocketAction { Port = port } });

        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, $"dial tcp 127.0.0.1:{port}: connect: connection refused"), outcome);
    }

    [Fact]
    public async Task Exec_runs_the_expanded_command_with_the_probe_timeout()
    {
        var commands = new FakeCommandRunner { Result = new CommandResult(0, Encoding.UTF8.GetBytes("fine\n"), []) };
        using var runner = new ProbeRunner(commands, TimeProvider.System);

        var outcome = await RunAsync(runner, new V1Probe { Exec = new V1ExecAction { Command = ["echo", "$(GREETING)", "$(SECRET)", "$$(GREETING)"] }, TimeoutSeconds = 7 });

        Assert.Equal(new ProbeOutcome(ProbeResult.Success, "fine\n"), outcome);
        Assert.True(commands.Calls.TryDequeue(out var call));
        Assert.Equal("cid", call.ContainerId);
        Assert.Equal(["echo", "hello", "$(SECRET)", "$(GREETING)"], call.Command);
        Assert.Equal(TimeSpan.FromSeconds(7), call.Timeout);
    }

    [Fact]
    public async Task Exec_non_zero_exit_is_a_failure_with_stdout_then_stderr()
    {
        var commands = new FakeCommandRunner { Result = new CommandResult(1, Encoding.UTF8.GetBytes("out\n"), Encoding.UTF8.GetBytes("err\n")) };
        using var runner = new ProbeRunner(commands, TimeProvider.System);

        var outcome = await RunAsync(runner, new V1Probe { Exec = new V1ExecAction { Command = ["check"] } });

        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "out\nerr\n"), outcome);
    }

    [Fact]
    public async Task Exec_timeout_is_a_failure_and_a_runtime_error_is_an_error()
    {
        var commands = new FakeCommandRunner { Result = new CommandResult(-1, [], [], TimedOut: true) };
        using var runner = new ProbeRunner(commands, TimeProvider.System);
        var probe = new V1Probe { Exec = new V1ExecAction { Command = ["sleep", "5"] } };

        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "command \"sleep 5\" timed out"), await RunAsync(runner, probe));

        commands.Result = new CommandResult(-1, [], [], Error: "rpc error: code = NotFound desc = container not found");
        Assert.Equal(new ProbeOutcome(ProbeResult.Unknown, "", "rpc error: code = NotFound desc = container not found"), await RunAsync(runner, probe));
    }

    [Fact]
    public async Task Grpc_and_missing_handlers_are_errors()
    {
        using var runner = new ProbeRunner(cri: null, TimeProvider.System);

        Assert.Equal(ProbeResult.Unknown, (await RunAsync(runner, new V1Probe { Grpc = new V1GRPCAction { Port = 9000 } })).Result);
        Assert.Equal("missing probe handler for web_default(uid-1):app", (await RunAsync(runner, new V1Probe())).Error);
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
