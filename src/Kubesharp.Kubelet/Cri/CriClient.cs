using System.Diagnostics;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Kubesharp.Kubelet.Cri.V1;

namespace Kubesharp.Kubelet.Cri;

/// <summary>
/// CRI v1 over the runtime's unix socket: the runtime and image services on one HTTP/2 channel. The channel
/// reconnects by itself when the runtime restarts; calls made while it is down fail with
/// <see cref="StatusCode.Unavailable"/>, which callers treat as "the runtime is down" (the node turns NotReady).
/// </summary>
public sealed class CriClient : IDisposable
{
    private readonly GrpcChannel _channel;

    /// <param name="observe">Told each unary call's gRPC method name and duration (the kubelet's runtime operation metrics).</param>
    public CriClient(string socketPath, TimeSpan? callTimeout = null, Action<string, TimeSpan>? observe = null)
    {
        SocketPath = socketPath;
        CallTimeout = callTimeout ?? TimeSpan.FromMinutes(2);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            DisposeHttpClient = true,
        });
        CallInvoker invoker = observe is null ? _channel.CreateCallInvoker() : _channel.Intercept(new TimingInterceptor(observe));
        Runtime = new RuntimeService.RuntimeServiceClient(invoker);
        Images = new ImageService.ImageServiceClient(invoker);
    }

    public string SocketPath { get; }

    /// <summary>The deadline of each call unless the caller gives its own (upstream's runtime request timeout is 2 min).</summary>
    public TimeSpan CallTimeout { get; }

    public RuntimeService.RuntimeServiceClient Runtime { get; }

    public ImageService.ImageServiceClient Images { get; }

    private CallOptions Options(CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        new(deadline: DateTime.UtcNow + (timeout ?? CallTimeout), cancellationToken: cancellationToken);

    public async Task<VersionResponse> VersionAsync(CancellationToken cancellationToken = default) =>
        await Runtime.VersionAsync(new VersionRequest { Version = "v1" }, Options(cancellationToken, TimeSpan.FromSeconds(10))).ConfigureAwait(false);

    public async Task<StatusResponse> StatusAsync(CancellationToken cancellationToken = default) =>
        await Runtime.StatusAsync(new StatusRequest(), Options(cancellationToken, TimeSpan.FromSeconds(10))).ConfigureAwait(false);

    public async Task UpdatePodCidrAsync(string podCidr, CancellationToken cancellationToken = default) =>
        await Runtime.UpdateRuntimeConfigAsync(
            new UpdateRuntimeConfigRequest { RuntimeConfig = new RuntimeConfig { NetworkConfig = new NetworkConfig { PodCidr = podCidr } } },
            Options(cancellationToken)).ConfigureAwait(false);

    public async Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken cancellationToken = default) =>
        (await Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }, Options(cancellationToken)).ConfigureAwait(false)).PodSandboxId;

    public async Task StopPodSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        await Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id }, Options(cancellationToken)).ConfigureAwait(false);

    public async Task RemovePodSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id }, Options(cancellationToken)).ConfigureAwait(false);

    public async Task<PodSandboxStatus> PodSandboxStatusAsync(string id, CancellationToken cancellationToken = default) =>
        (await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id }, Options(cancellationToken)).ConfigureAwait(false)).Status;

    public async Task<IReadOnlyList<PodSandbox>> ListPodSandboxesAsync(PodSandboxFilter? filter = null, CancellationToken cancellationToken = default) =>
        (await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter }, Options(cancellationToken, TimeSpan.FromSeconds(30))).ConfigureAwait(false)).Items;

    public async Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, PodSandboxConfig sandboxConfig, CancellationToken cancellationToken = default) =>
        (await Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = sandboxId, Config = config, SandboxConfig = sandboxConfig },
            Options(cancellationToken)).ConfigureAwait(false)).ContainerId;

    public async Task StartContainerAsync(string id, CancellationToken cancellationToken = default) =>
        await Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, Options(cancellationToken)).ConfigureAwait(false);

    /// <summary>Stops a container: SIGTERM (or the image's stop signal), then SIGKILL after <paramref name="gracePeriod"/>.</summary>
    public async Task StopContainerAsync(string id, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        var seconds = (long)Math.Ceiling(Math.Max(0, gracePeriod.TotalSeconds));
        await Runtime.StopContainerAsync(
            new StopContainerRequest { ContainerId = id, Timeout = seconds },
            Options(cancellationToken, CallTimeout + TimeSpan.FromSeconds(seconds))).ConfigureAwait(false);
    }

    public async Task RemoveContainerAsync(string id, CancellationToken cancellationToken = default) =>
        await Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }, Options(cancellationToken)).ConfigureAwait(false);

    public async Task<IReadOnlyList<Container>> ListContainersAsync(ContainerFilter? filter = null, CancellationToken cancellationToken = default) =>
        (await Runtime.ListContainersAsync(new ListContainersRequest { Filter = filter }, Options(cancellationToken, TimeSpan.FromSeconds(30))).ConfigureAwait(false)).Containers;

    public async Task<ContainerStatus> ContainerStatusAsync(string id, CancellationToken cancellationToken = default) =>
        (await Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id }, Options(cancellationToken)).ConfigureAwait(false)).Status;

    /// <summary>Runs a command in a container and waits for it, as exec probes and exec hooks do; a zero timeout waits forever.</summary>
    public async Task<ExecSyncResponse> ExecSyncAsync(string id, IEnumerable<string> command, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var request = new ExecSyncRequest { ContainerId = id, Timeout = (long)Math.Ceiling(timeout.TotalSeconds) };
        request.Cmd.AddRange(command);
        var options = timeout > TimeSpan.Zero ? Options(cancellationToken, timeout + TimeSpan.FromSeconds(10)) : new CallOptions(cancellationToken: cancellationToken);
        return await Runtime.ExecSyncAsync(request, options).ConfigureAwait(false);
    }

    /// <summary>Asks the runtime for a streaming URL that runs <paramref name="request"/>'s command.</summary>
    public async Task<string> ExecAsync(ExecRequest request, CancellationToken cancellationToken = default) =>
        (await Runtime.ExecAsync(request, Options(cancellationToken, TimeSpan.FromSeconds(30))).ConfigureAwait(false)).Url;

    public async Task<string> AttachAsync(AttachRequest request, CancellationToken cancellationToken = default) =>
        (await Runtime.AttachAsync(request, Options(cancellationToken, TimeSpan.FromSeconds(30))).ConfigureAwait(false)).Url;

    public async Task<string> PortForwardAsync(string sandboxId, IEnumerable<int> ports, CancellationToken cancellationToken = default)
    {
        var request = new PortForwardRequest { PodSandboxId = sandboxId };
        request.Port.AddRange(ports);
        return (await Runtime.PortForwardAsync(request, Options(cancellationToken, TimeSpan.FromSeconds(30))).ConfigureAwait(false)).Url;
    }

    public async Task ReopenContainerLogAsync(string id, CancellationToken cancellationToken = default) =>
        await Runtime.ReopenContainerLogAsync(new ReopenContainerLogRequest { ContainerId = id }, Options(cancellationToken)).ConfigureAwait(false);

    /// <summary>The image's status, or null when the runtime does not have it.</summary>
    public async Task<Image?> ImageStatusAsync(string image, CancellationToken cancellationToken = default) =>
        (await Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image } }, Options(cancellationToken)).ConfigureAwait(false)).Image;

    public async Task<IReadOnlyList<Image>> ListImagesAsync(CancellationToken cancellationToken = default) =>
        (await Images.ListImagesAsync(new ListImagesRequest(), Options(cancellationToken)).ConfigureAwait(false)).Images;

    /// <summary>Pulls an image and returns the image reference (its id) the runtime resolved it to.</summary>
    public async Task<string> PullImageAsync(string image, AuthConfig? auth, PodSandboxConfig? sandboxConfig, CancellationToken cancellationToken = default) =>
        (await Images.PullImageAsync(
            new PullImageRequest { Image = new ImageSpec { Image = image }, Auth = auth, SandboxConfig = sandboxConfig },
            Options(cancellationToken, TimeSpan.FromMinutes(10))).ConfigureAwait(false)).ImageRef;

    public async Task RemoveImageAsync(string image, CancellationToken cancellationToken = default) =>
        await Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = image } }, Options(cancellationToken)).ConfigureAwait(false);

    /// <summary>True for the errors that mean the runtime could not be reached at all.</summary>
    public static bool IsUnavailable(Exception e) =>
        e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded } or HttpRequestException or SocketException;

    public void Dispose() => _channel.Dispose();

    /// <summary>Times every unary call, from the request to the response or the error.</summary>
    private sealed class TimingInterceptor(Action<string, TimeSpan> observe) : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            var started = Stopwatch.GetTimestamp();
            var call = continuation(request, context);
            var method = context.Method.Name;
            return new AsyncUnaryCall<TResponse>(
                Timed(call.ResponseAsync, method, started),
                call.ResponseHeadersAsync,
                call.GetStatus,
                call.GetTrailers,
                call.Dispose);
        }

        private async Task<TResponse> Timed<TResponse>(Task<TResponse> response, string method, long started)
        {
            try
            {
                return await response.ConfigureAwait(false);
            }
            finally
            {
                observe(method, Stopwatch.GetElapsedTime(started));
            }
        }
    }
}
