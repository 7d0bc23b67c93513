using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kubesharp.Client;
using Kubesharp.Client.Cache;
using Kubesharp.Dns.Registration;
using Kubesharp.Dns.Server;
using Kubesharp.Dns.Zone;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Dns;

/// <summary>
/// The cluster DNS server: Services, EndpointSlices and Namespaces watched through the API server (informers) feed a
/// <see cref="ClusterZone"/>; UDP and TCP listeners answer from it and forward other names upstream; and the server
/// registers itself as kube-system/kube-dns.
/// <para>
/// Lifecycle: <see cref="StartAsync"/> binds the sockets first (a taken port fails the start), then starts the informers
/// and returns; zone names get SERVFAIL until the informers have synced (<see cref="WaitForSyncAsync"/>), other names are
/// forwarded at once. <see cref="DisposeAsync"/> stops the registration loop, the listeners and the informers.
/// It reaches cluster state only through the API.
/// </para>
/// </summary>
public sealed partial class DnsServer : IAsyncDisposable
{
    private readonly Kubernetes? _client;
    private readonly bool _ownsClient;
    private readonly DnsServerOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _registrationSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SharedInformerFactory? _informers;
    private DnsListener? _listener;
    private Task? _background;

    public DnsServer(Kubernetes? client, DnsServerOptions options, ILoggerFactory loggers, TimeProvider? time = null, bool ownsClient = false)
    {
        _client = client;
        _ownsClient = ownsClient;
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("kube-dns");
        _time = time ?? TimeProvider.System;
        Zone = new ClusterZone(options.ClusterDomain, _time);
    }

    public static DnsServer FromKubeconfig(string path, DnsServerOptions options, ILoggerFactory loggers) =>
        new(new Kubernetes(Kubeconfig.Build(path)), options, loggers, ownsClient: true);

    public ClusterZone Zone { get; }

    public DnsCounters Counters { get; } = new();

    /// <summary>Where the server listens, once started.</summary>
    public IPEndPoint? EndPoint => _listener?.EndPoint;

    /// <summary>The upstreams in use, after the loop check.</summary>
    public IReadOnlyList<IPEndPoint> Upstreams { get; private set; } = [];

    /// <summary>The addresses registered in the kube-dns EndpointSlice.</summary>
    public IReadOnlyList<IPAddress> AdvertiseAddresses { get; private set; } = [];

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        var advertise = _options.AdvertiseAddresses.Count > 0 ? _options.AdvertiseAddresses
            : !_options.Listen.Address.Equals(IPAddress.Any) && !_options.Listen.Address.Equals(IPAddress.IPv6Any) ? [_options.Listen.Address]
            : Server.Upstreams.FirstHostAddress() is { } host ? [host] : [];
        AdvertiseAddresses = advertise;

        var responder = new ZoneResponder(Zone, _options.Ttl, [_options.ServiceIp]);
        var handler = new QueryHandler(responder, Counters);
        var listener = new DnsListener(
            handler,
            new Forwarder([], _options.ForwardTimeout, _options.MaxConcurrentForwards, Counters),
            new DnsListenerSettings(_options.Listen, _options.UdpLoops > 0 ? _options.UdpLoops : 2 * Environment.ProcessorCount, _options.MaxTcpConnections, _options.TcpIdleTimeout, advertise),
            _logger);
        listener.Start();
        var bound = listener.EndPoint!;

        // The upstreams are known once the port is (port 0 in tests): only then can the loop check see this server.
        Upstreams = Server.Upstreams.WithoutSelf(_options.Upstreams ?? Server.Upstreams.FromResolvConf(_options.ResolvConf), bound, advertise, _options.ServiceIp);
        listener.Forwarder = new Forwarder(Upstreams, _options.ForwardTimeout, _options.MaxConcurrentForwards, Counters);
        _listener = listener;
        var upstreamList = string.Join(", ", Upstreams);
        Log.Serving(_logger, bound, Zone.Domain, upstreamList);

        if (_client is null)
        {
            // No API server: a zone filled by the caller (tests, the benchmark).
            Zone.Synced = true;
            _synced.TrySetResult();
            return Task.CompletedTask;
        }

        _informers = new SharedInformerFactory(new KubernetesListWatchFactory(_client), _time, _loggers);
        var services = _informers.GetInformer<V1Service>();
        var slices = _informers.GetInformer<V1EndpointSlice>();
        var namespaces = _informers.GetInformer<V1Namespace>();
        services.AddEventHandler(new ResourceEventHandlerFuncs<V1Service>
        {
            AddFunc = s => { Zone.UpsertService(s); SignalIfOwn(s.Metadata); },
            UpdateFunc = (_, s) => { Zone.UpsertService(s); SignalIfOwn(s.Metadata); },
            DeleteFunc = (s, _) => { Zone.DeleteService(s); SignalIfOwn(s.Metadata); },
        });
        slices.AddEventHandler(new ResourceEventHandlerFuncs<V1EndpointSlice>
        {
            AddFunc = s => { Zone.UpsertEndpointSlice(s); SignalIfOwn(s.Metadata); },
            UpdateFunc = (_, s) => { Zone.UpsertEndpointSlice(s); SignalIfOwn(s.Metadata); },
            DeleteFunc = (s, _) => { Zone.DeleteEndpointSlice(s); SignalIfOwn(s.Metadata); },
        });
        namespaces.AddEventHandler(new ResourceEventHandlerFuncs<V1Namespace>
        {
            AddFunc = Zone.UpsertNamespace,
            UpdateFunc = (_, n) => Zone.UpsertNamespace(n),
            DeleteFunc = (n, _) => Zone.DeleteNamespace(n),
        });
        if (_options.Register)
        {
            var endpoints = _informers.GetInformer<V1Endpoints>(KubeDnsRegistration.Namespace, fieldSelector: "metadata.name=" + KubeDnsRegistration.Name);
            endpoints.AddEventHandler(new ResourceEventHandlerFuncs<V1Endpoints>
            {
                AddFunc = _ => Signal(),
                UpdateFunc = (_, _) => Signal(),
                DeleteFunc = (_, _) => Signal(),
            });
        }

        _informers.Start(_stop.Token);
        _background = Task.Run(() => RunAsync(_client, bound.Port, advertise, _stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private void SignalIfOwn(V1ObjectMeta meta)
    {
        if (meta.NamespaceProperty == KubeDnsRegistration.Namespace && meta.Name is KubeDnsRegistration.Name or KubeDnsRegistration.SliceName)
        {
            Signal();
        }
    }

    private void Signal() => _registrationSignal.Writer.TryWrite(true);

    private async Task RunAsync(Kubernetes client, int port, IReadOnlyList<IPAddress> advertise, CancellationToken cancellationToken)
    {
        try
        {
            if (!await _informers!.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            Zone.Synced = true;
            _synced.TrySetResult();
            Log.Synced(_logger, Zone.ServiceCount);
            if (!_options.Register)
            {
                return;
            }

            if (advertise.Count == 0)
            {
                Log.NoAdvertiseAddress(_logger);
                return;
            }

            var registration = new KubeDnsRegistration(client, advertise, port, _options.ServiceIp, _logger);
            var backoff = TimeSpan.FromSeconds(1);
            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = _options.RegistrationResync;
                try
                {
                    await registration.EnsureAsync(cancellationToken).ConfigureAwait(false);
                    backoff = TimeSpan.FromSeconds(1);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A conflict with another writer, or the API server away: try again soon.
                    Log.RegistrationFailed(_logger, e.Message);
                    wait = backoff;
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(wait);
                try
                {
                    await _registrationSignal.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Periodic check.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_background is not null)
        {
            await _background.ConfigureAwait(false);
        }

        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        if (_informers is not null)
        {
            await _informers.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsClient)
        {
            _client?.Dispose();
        }

        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "cluster DNS serving {EndPoint} (UDP and TCP), zone {Zone}, forwarding to [{Upstreams}]")]
        public static partial void Serving(ILogger logger, IPEndPoint endPoint, string zone, string upstreams);

        [LoggerMessage(Level = LogLevel.Information, Message = "cluster DNS synced: {Services} services")]
        public static partial void Synced(ILogger logger, int services);

        [LoggerMessage(Level = LogLevel.Warning, Message = "cluster DNS: no address to advertise (give --advertise-address): kube-dns is not registered")]
        public static partial void NoAdvertiseAddress(ILogger logger);

        [LoggerMessage(Level = LogLevel.Warning, Message = "cluster DNS: registering kube-system/kube-dns failed: {Error}; retrying")]
        public static partial void RegistrationFailed(ILogger logger, string error);
    }
}
