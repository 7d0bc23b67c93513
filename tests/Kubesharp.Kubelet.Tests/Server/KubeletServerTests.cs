using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Kubesharp.Api.Streaming;
using Kubesharp.ApiServer.Pki;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Kubelet.Tests.Server;

/// <summary>The kubelet's HTTPS server over real TLS, with a fake locator, authorizer and runtime streaming server.</summary>
public sealed class KubeletServerTests : IAsyncLifetime
{
    private const string Node = "node-a";
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-kubelet-server-").FullName;
    private readonly FakeContainerLocator _locator = new();
    private readonly FakeKubeletAuthorizer _authorizer = new(a => a.User.Groups.Contains("system:masters"));
    private readonly FakeRuntime _runtime = new();
    private ClusterPki _pki = null!;
    private KubeletServer _server = null!;

    public async Task InitializeAsync()
    {
        _pki = ClusterPki.LoadOrCreate(Path.Combine(_dir, "cluster"), ["127.0.0.1", "localhost"]);
        var log = Path.Combine(_dir, "c.log");
        await File.WriteAllTextAsync(log, "2026-11-27T19:19:57Z stdout F one\n2026-11-27T19:19:58Z stdout P tw\n2026-11-27T19:19:58.1Z stdout F o\n");
        _locator.PodList.Add(FakeContainerLocator.Pod("ns", "web", "c", "other"));
        _locator.Containers[("ns", "web", "c", false)] = new ContainerLocation("cid-1", log, Running: false);
        await _runtime.StartAsync();
        _server = new KubeletServer(new KubeletServerOptions(Node, IPAddress.Loopback, 0), _locator, _runtime, _pki.Serving, _pki.Ca, _authorizer, NullLoggerFactory.Instance);
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
        await _runtime.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private bool SignedByCa(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_pki.Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    }

    private HttpClient Client(X509Certificate2? certificate)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => SignedByCa(cert) };
        if (certificate is not null)
        {
            handler.ClientCertificates.Add(certificate);
        }

        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{_server.Port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, X509Certificate2? certificate)
    {
        using var client = Client(certificate);
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Anonymous_callers_and_certificates_from_another_ca_are_unauthorized()
    {
        var foreign = ClusterPki.LoadOrCreate(Path.Combine(_dir, "foreign"), ["127.0.0.1"]);

        Assert.Equal((HttpStatusCode.Unauthorized, "Unauthorized\n"), await GetAsync("/healthz", null));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/healthz", foreign.Admin)).Status);
        Assert.Empty(_authorizer.Asked);
    }

    [Fact]
    public async Task Healthz_is_authorized_as_get_on_nodes_proxy_of_this_node()
    {
        Assert.Equal((HttpStatusCode.OK, "ok"), await GetAsync("/healthz", _pki.Admin));

        var asked = Assert.Single(_authorizer.Asked);
        Assert.Equal(("system:admin", "get", "proxy", Node), (asked.User.Name, asked.Verb, asked.Subresource, asked.NodeName));
        Assert.Equal(["system:masters", "system:authenticated"], asked.User.Groups);
    }

    [Fact]
    public async Task A_caller_the_authorizer_refuses_is_forbidden_with_upstreams_message()
    {
        using var someone = _pki.IssueClient("jane", ["devs"], TimeSpan.FromHours(1));

        Assert.Equal((HttpStatusCode.Forbidden, "Forbidden (user=jane, verb=get, resource=nodes, subresource=metrics)\n"), await GetAsync("/metrics", someone));
    }

    [Fact]
    public async Task Pods_lists_what_the_locator_knows()
    {
        var (status, body) = await GetAsync("/pods", _pki.Admin);

        Assert.Equal(HttpStatusCode.OK, status);
        var list = KubernetesJson.Deserialize<V1PodList>(body);
        Assert.Equal(("PodList", "v1"), (list.Kind, list.ApiVersion));
        Assert.Equal("web", Assert.Single(list.Items).Metadata.Name);
    }

    [Fact]
    public async Task Metrics_shows_running_pods_and_containers_and_request_counts()
    {
        await GetAsync("/healthz", _pki.Admin);

        var (status, body) = await GetAsync("/metrics", _pki.Admin);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("kubelet_running_pods 1", body, StringComparison.Ordinal);
        Assert.Contains("kubelet_running_containers{container_state=\"running\"} 2", body, StringComparison.Ordinal);
        Assert.Contains("kubelet_http_requests_total{method=\"GET\",path=\"/healthz\",server_type=\"readwrite\",long_running=\"false\"} 1", body, StringComparison.Ordinal);
        Assert.Equal("metrics", _authorizer.Asked[^1].Subresource);
    }

    public static TheoryData<string, HttpStatusCode, string> LogCases() => new()
    {
        { "/containerLogs/ns/web/c", HttpStatusCode.OK, "one\ntwo\n" },
        { "/containerLogs/ns/web/c?tailLines=1&timestamps=true", HttpStatusCode.OK, "2026-11-27T19:19:58Z two\n" },
        { "/containerLogs/ns/web/c?limitBytes=2", HttpStatusCode.OK, "on" },
        { "/containerLogs/ns/web/c?follow=true", HttpStatusCode.OK, "one\ntwo\n" },
        { "/containerLogs/ns/nope/c", HttpStatusCode.NotFound, "pod \"nope\" does not exist\n" },
        { "/containerLogs/ns/web/x", HttpStatusCode.NotFound, "container \"x\" not found in pod \"web\"\n" },
        { "/containerLogs/ns/web/c?previous=true", HttpStatusCode.BadRequest, "previous terminated container \"c\" in pod \"web\" not found\n" },
        { "/containerLogs/ns/web/other", HttpStatusCode.BadRequest, "container \"other\" in pod \"web\" is waiting to start: ContainerCreating\n" },
        { "/containerLogs/ns/web/c?tailLines=-1", HttpStatusCode.UnprocessableEntity, "tailLines: Invalid value: -1: must be greater than or equal to 0\n" },
    };

    [Theory]
    [MemberData(nameof(LogCases))]
    public async Task Container_logs(string path, HttpStatusCode status, string body)
    {
        Assert.Equal((status, body), await GetAsync(path, _pki.Admin));
    }

    [Fact]
    public async Task Exec_relays_a_v5_session_to_the_runtime_as_v4_and_returns_the_exit_status()
    {
        _locator.Containers[("ns", "web", "c", false)] = _locator.Containers[("ns", "web", "c", false)] with { Running = true };
        using var socket = new ClientWebSocket();
        socket.Options.ClientCertificates.Add(_pki.Admin);
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => SignedByCa(cert);
        socket.Options.AddSubProtocol(StreamProtocols.V5);

        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{_server.Port}/exec/ns/web/c?command=sh&command=-c&command=exit%203&stdin=1&stdout=1&stderr=1"), CancellationToken.None);
        await socket.SendAsync((byte[])[StreamProtocols.StdinChannel, .. "hello"u8], WebSocketMessageType.Binary, true, CancellationToken.None);
        await socket.SendAsync((byte[])[StreamProtocols.CloseChannel, StreamProtocols.StdinChannel], WebSocketMessageType.Binary, true, CancellationToken.None);
        await socket.SendAsync((byte[])[StreamProtocols.StdinChannel, .. "!"u8], WebSocketMessageType.Binary, true, CancellationToken.None);
        var frames = await ReadAllAsync(socket);

        Assert.Equal(StreamProtocols.V5, socket.SubProtocol);
        Assert.Equal(StreamProtocols.V4, _runtime.Protocol);
        Assert.Equal(["sh", "-c", "exit 3"], _runtime.Exec!.Cmd);
        Assert.Equal(("cid-1", true, true, true, false), (_runtime.Exec.ContainerId, _runtime.Exec.Stdin, _runtime.Exec.Stdout, _runtime.Exec.Stderr, _runtime.Exec.Tty));
        Assert.Equal(["\u0000hello", "\u0000!"], _runtime.Received);
        Assert.Equal("\u0001hello!", frames[0]);
        Assert.Equal(3, ExecStatus.ExitCode(Encoding.UTF8.GetBytes(frames[^1][1..])));
    }

    [Fact]
    public async Task Exec_in_a_container_that_is_not_running_is_not_found_before_the_upgrade()
    {
        using var socket = new ClientWebSocket();
        socket.Options.ClientCertificates.Add(_pki.Admin);
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => SignedByCa(cert);
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"wss://127.0.0.1:{_server.Port}/exec/ns/web/c?command=true&stdout=1"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, socket.HttpStatusCode);
        Assert.Null(_runtime.Exec);
    }

    private static async Task<List<string>> ReadAllAsync(ClientWebSocket socket)
    {
        List<string> frames = [];
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return frames;
            }

            frames.Add(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }

    /// <summary>
    /// A runtime streaming server: plain HTTP WebSocket with the v4 protocol only, as containerd 1.6's; it echoes
    /// stdin frames on stdout until the client stops sending for a moment after its second frame, then ends with exit 3.
    /// </summary>
    private sealed class FakeRuntime : IStreamingRuntime, IAsyncDisposable
    {
        private WebApplication? _app;
        private int _port;

        public ExecRequest? Exec { get; private set; }

        public string? Protocol { get; private set; }

        public List<string> Received { get; } = [];

        public async Task StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.UseWebSockets();
            app.Run(ServeAsync);
            await app.StartAsync();
            _app = app;
            _port = new Uri(app.Urls.First()).Port;
        }

        private async Task ServeAsync(HttpContext context)
        {
            Protocol = StreamProtocols.Negotiate(context.Request.Headers.SecWebSocketProtocol.Select(v => v ?? ""), [StreamProtocols.V4, StreamProtocols.V1]);
            using var ws = await context.WebSockets.AcceptWebSocketAsync(Protocol);
            var buffer = new byte[4096];
            var echoed = new StringBuilder();
            while (Received.Count < 2)
            {
                var result = await ws.ReceiveAsync(buffer, CancellationToken.None);
                var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
                Received.Add(text);
                echoed.Append(text[1..]);
            }

            await ws.SendAsync(Encoding.UTF8.GetBytes("\u0001" + echoed), WebSocketMessageType.Binary, true, CancellationToken.None);
            await ws.SendAsync((byte[])[StreamProtocols.ErrorChannel, .. ExecStatus.NonZeroExit(Exec!.Cmd, 3)], WebSocketMessageType.Binary, true, CancellationToken.None);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        public Task<Uri> ExecUrlAsync(ExecRequest request, CancellationToken cancellationToken)
        {
            Exec = request;
            return Task.FromResult(new Uri($"http://127.0.0.1:{_port}/exec/token"));
        }

        public Task<Uri> AttachUrlAsync(AttachRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new Uri($"http://127.0.0.1:{_port}/attach/token"));

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }
        }
    }
}
