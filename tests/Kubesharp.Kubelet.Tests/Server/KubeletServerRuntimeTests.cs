using System.Net;
using System.Net.WebSockets;
using System.Text;
using Kubesharp.Api.Streaming;
using Kubesharp.ApiServer.Pki;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Kubelet.Tests.Server;

/// <summary>
/// The kubelet server against a real containerd: a host-network sandbox with a busybox container made here through
/// the CRI, then logs, exec (with its exit code) and attach through the server. Skips visibly without containerd,
/// fails without it when <c>KUBESHARP_REQUIRE_RUNTIME=1</c>. In the containerd collection: never while the outage test
/// has containerd down.
/// </summary>
[Collection("containerd")]
public sealed class KubeletServerRuntimeTests : IAsyncLifetime
{
    private const string Image = "127.0.0.1:5000/library/busybox:1.35";
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-kubelet-e2e-").FullName;
    private readonly string _uid = Guid.NewGuid().ToString();
    private readonly FakeContainerLocator _locator = new();
    private CriClient? _cri;
    private string? _skip;
    private string? _sandbox;
    private ClusterPki _pki = null!;
    private KubeletServer? _server;

    private static string Socket => Environment.GetEnvironmentVariable("KUBESHARP_CONTAINERD_SOCKET") is { Length: > 0 } s ? s : "/run/kubesharp/containerd/containerd.sock";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Socket))
        {
            _skip = $"containerd is not running at {Socket}";
            return;
        }

        _cri = new CriClient(Socket, TimeSpan.FromSeconds(60));
        try
        {
            await _cri.VersionAsync();
        }
        catch (Exception e) when (CriClient.IsUnavailable(e))
        {
            _skip = $"containerd does not answer at {Socket}: {e.Message}";
            return;
        }

        var name = "streaming-e2e-" + _uid[..8];
        var logDir = Path.Combine(_dir, "logs");
        Directory.CreateDirectory(logDir);
        var sandboxConfig = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Uid = _uid, Namespace = "e2e", Attempt = 0 },
            // A host-network sandbox has no UTS namespace of its own, so no hostname (as the kubelet leaves it).
            LogDirectory = logDir,
            Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node } } },
        };
        _sandbox = await _cri.RunPodSandboxAsync(sandboxConfig);
        if (await _cri.ImageStatusAsync(Image) is null)
        {
            await _cri.PullImageAsync(Image, null, sandboxConfig);
        }

        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = "c" },
            Image = new ImageSpec { Image = Image },
            LogPath = "c/0.log",
            Stdin = true,
        };
        config.Command.AddRange(["sh", "-c", "echo started; while read line; do echo got $line; done; sleep 3600"]);
        var id = await _cri.CreateContainerAsync(_sandbox, config, sandboxConfig);
        await _cri.StartContainerAsync(id);
        _locator.PodList.Add(FakeContainerLocator.Pod("e2e", name, "c"));
        _locator.Containers[("e2e", name, "c", false)] = new ContainerLocation(id, Path.Combine(logDir, "c", "0.log"), Running: true);
        _pki = ClusterPki.LoadOrCreate(Path.Combine(_dir, "cluster"), ["127.0.0.1"]);
        _server = new KubeletServer(new KubeletServerOptions("node-e2e", IPAddress.Loopback, 0), _locator, _cri, _pki.Serving, _pki.Ca, new FakeKubeletAuthorizer(_ => true), NullLoggerFactory.Instance);
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync(CancellationToken.None);
            await _server.DisposeAsync();
        }

        if (_cri is not null && _sandbox is not null)
        {
            await _cri.StopPodSandboxAsync(_sandbox);
            await _cri.RemovePodSandboxAsync(_sandbox);
        }

        _cri?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void SkipUnlessRuntime()
    {
        if (_skip is not null && Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_RUNTIME") == "1")
        {
            throw new InvalidOperationException($"KUBESHARP_REQUIRE_RUNTIME=1 but {_skip}");
        }

        Skip.If(_skip is not null, _skip);
    }

    private string PodName => _locator.PodList[0].Metadata.Name;

    private async Task<ClientWebSocket> ConnectAsync(string pathAndQuery, string protocol)
    {
        var socket = new ClientWebSocket();
        socket.Options.ClientCertificates.Add(_pki.Admin);
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == _pki.Serving.GetCertHashString();
        socket.Options.AddSubProtocol(protocol);
        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{_server!.Port}{pathAndQuery}"), CancellationToken.None);
        return socket;
    }

    private static async Task<Dictionary<byte, string>> ReadUntilCloseAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var channels = new Dictionary<byte, string>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return channels;
            }

            if (result.Count > 0)
            {
                channels[buffer[0]] = channels.GetValueOrDefault(buffer[0], "") + Encoding.UTF8.GetString(buffer, 1, result.Count - 1);
            }
        }
    }

    [SkippableFact]
    public async Task Exec_returns_stdout_and_the_exit_code_from_the_runtime()
    {
        SkipUnlessRuntime();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var socket = await ConnectAsync($"/exec/e2e/{PodName}/c?command=sh&command=-c&command=echo%20hi%3B%20echo%20err%20%3E%262%3B%20exit%203&stdout=1&stderr=1", StreamProtocols.V5);
        var channels = await ReadUntilCloseAsync(socket, timeout.Token);

        Assert.Equal(StreamProtocols.V5, socket.SubProtocol);
        Assert.Equal("hi\n", channels[StreamProtocols.StdoutChannel]);
        Assert.Equal("err\n", channels[StreamProtocols.StderrChannel]);
        var status = channels[StreamProtocols.ErrorChannel];
        Assert.Equal(3, ExecStatus.ExitCode(Encoding.UTF8.GetBytes(status)));
        Assert.Contains("\"reason\":\"NonZeroExitCode\"", status, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Exec_with_a_v4_client_and_a_zero_exit_reports_success()
    {
        SkipUnlessRuntime();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var socket = await ConnectAsync($"/exec/e2e/{PodName}/c?command=echo&command=ok&stdout=1", StreamProtocols.V4);
        var channels = await ReadUntilCloseAsync(socket, timeout.Token);

        Assert.Equal("ok\n", channels[StreamProtocols.StdoutChannel]);
        Assert.Equal(0, ExecStatus.ExitCode(Encoding.UTF8.GetBytes(channels[StreamProtocols.ErrorChannel])));
    }

    [SkippableFact]
    public async Task Attach_writes_stdin_to_the_container_and_logs_show_its_output()
    {
        SkipUnlessRuntime();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var socket = await ConnectAsync($"/attach/e2e/{PodName}/c?stdin=1&stdout=1", StreamProtocols.V5);

        await socket.SendAsync((byte[])[StreamProtocols.StdinChannel, .. "ping\n"u8], WebSocketMessageType.Binary, true, timeout.Token);
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        while (!seen.ToString().Contains("got ping\n", StringComparison.Ordinal))
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            if (result.Count > 0 && buffer[0] == StreamProtocols.StdoutChannel)
            {
                seen.Append(Encoding.UTF8.GetString(buffer, 1, result.Count - 1));
            }
        }

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        using var http = new HttpClient(new HttpClientHandler
        {
            ClientCertificates = { _pki.Admin },
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == _pki.Serving.GetCertHashString(),
        });
        var logs = await http.GetStringAsync(new Uri($"https://127.0.0.1:{_server!.Port}/containerLogs/e2e/{PodName}/c?timestamps=true"), timeout.Token);
        var lines = logs.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["started", "got ping"], lines.Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]));
        Assert.All(lines, l => Assert.True(DateTimeOffset.TryParse(l[..l.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture, out _), l));
    }
}
