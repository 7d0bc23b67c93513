using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Balancer;

/// <summary>
/// An agent's local TCP load balancer in front of the API servers (k3s's agent load balancer,
/// <c>pkg/agent/loadbalancer</c>): the node's components talk to <see cref="LocalUrl"/>, and each connection accepted
/// there is forwarded, bytes untouched (TLS end to end, so every server's certificate must list 127.0.0.1 and be
/// signed by the one cluster CA), to one API server.
/// <list type="bullet">
/// <item>A new connection goes to the current server while it is up; when a connect fails or times out
/// (<see cref="BalancerOptions.DialTimeout"/>) that server is marked down and the next candidate is tried
/// (<see cref="ServerList.Candidates"/>); the first that accepts becomes current. When none accepts, the
/// client's connection is closed: its own retry comes back later.</item>
/// <item>Every <see cref="BalancerOptions.HealthCheckInterval"/> each known server is checked
/// (<see cref="HealthCheck"/>). A server that goes from up to down has its connections closed, so that clients
/// holding a connection to a server that vanished without a reset (a lost host) reconnect to another one at once
/// instead of waiting for TCP to give up.</item>
/// <item>When a server closes or resets its side, the client's side is closed the same way; the client's
/// reflectors and retries then reconnect, and the new connection goes elsewhere.</item>
/// <item><see cref="UpdateServers"/> replaces the learned servers (<see cref="EndpointsServerSource"/>); one that is
/// no longer listed has its connections closed. The command-line servers stay.</item>
/// </list>
/// Thread-safe. Loops start in <see cref="Start"/> and end in <see cref="DisposeAsync"/>, which closes every
/// connection.
/// </summary>
public sealed class ApiServerBalancer : IAsyncDisposable
{
    private readonly BalancerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ServerList _servers;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();

    // Read by connection tasks that may outlive DisposeAsync by a moment: a token stays usable after its source is disposed.
    private readonly CancellationToken _stopping;
    private readonly ConcurrentDictionary<ProxiedConnection, string> _connections = new();
    private Task _acceptLoop = Task.CompletedTask;
    private Task _healthLoop = Task.CompletedTask;
    private volatile ServerHealthCheck _healthCheck = HealthChecks.TcpConnectAsync;

    private ApiServerBalancer(BalancerOptions options, IReadOnlyList<string> learned, Socket listener, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
        _listener = listener;
        _stopping = _stop.Token;
        _servers = new ServerList(options.Servers);
        _servers.SetLearned(learned);
        var local = (IPEndPoint)listener.LocalEndPoint!;
        LocalEndPoint = local;
        LocalUrl = "https://" + ServerAddress.Join(local.Address.ToString(), local.Port);
    }

    /// <summary>The listening address.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>What the node's kubeconfig names as its server: <c>https://127.0.0.1:PORT</c>.</summary>
    public string LocalUrl { get; }

    /// <summary>Every known server, command-line ones first.</summary>
    public IReadOnlyList<string> Servers => _servers.All;

    /// <summary>The server new connections go to first while it is up.</summary>
    public string CurrentServer => _servers.Current;

    /// <summary>The check the periodic rounds use (default: a TCP connect); the agent swaps in <c>/readyz</c> once it has credentials.</summary>
    public ServerHealthCheck HealthCheck
    {
        get => _healthCheck;
        set => _healthCheck = value;
    }

    /// <summary>The connections open now to <paramref name="server"/>.</summary>
    public int ConnectionsTo(string server) => _connections.Values.Count(s => s == server);

    public bool IsUp(string server) => _servers.IsUp(server);

    /// <summary>
    /// Listens and starts the loops. Servers learned by an earlier run are read back from
    /// <see cref="BalancerOptions.StateFile"/>.
    /// </summary>
    /// <exception cref="SocketException">The port is taken (another agent in this network namespace?).</exception>
    public static ApiServerBalancer Start(BalancerOptions options, ILogger logger, TimeProvider? time = null)
    {
        var listener = new Socket(options.ListenAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(options.ListenAddress, options.Port));
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var balancer = new ApiServerBalancer(options, ReadState(options.StateFile, logger), listener, logger, time ?? TimeProvider.System);
        balancer._acceptLoop = Task.Run(balancer.AcceptLoopAsync);
        if (options.HealthCheckInterval > TimeSpan.Zero)
        {
            balancer._healthLoop = Task.Run(balancer.HealthLoopAsync);
        }

        BalancerLog.Started(logger, balancer.LocalUrl, balancer.Servers);
        return balancer;
    }

    /// <summary>Replaces the learned servers (see <see cref="ServerList.SetLearned"/>) and closes the connections of those dropped.</summary>
    public void UpdateServers(IEnumerable<string> learned)
    {
        var (added, removed) = _servers.SetLearned(learned);
        if (added.Count == 0 && removed.Count == 0)
        {
            return;
        }

        BalancerLog.ServersChanged(_logger, _servers.All, added, removed);
        foreach (var server in removed)
        {
            CloseConnections(server);
        }

        WriteState();
    }

    /// <summary>One round of health checks over every known server (the periodic loop runs these).</summary>
    public async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        var check = _healthCheck;
        await Task.WhenAll(_servers.All.Select(async server =>
        {
            using var timeout = new CancellationTokenSource(_options.HealthCheckTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            bool up;
            try
            {
                up = await check(server, linked.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // A check that breaks its contract still says "down", not "the loop is over".
                BalancerLog.CheckFailed(_logger, server, e);
                up = false;
            }

            var wasUp = _servers.IsUp(server);
            if (_servers.SetHealth(server, up))
            {
                BalancerLog.ServerDown(_logger, server, ConnectionsTo(server));
                CloseConnections(server);
            }
            else if (up && !wasUp)
            {
                BalancerLog.ServerUp(_logger, server);
            }
        })).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await Task.WhenAll(_acceptLoop, _healthLoop).ConfigureAwait(false);
        foreach (var connection in _connections.Keys)
        {
            connection.Close();
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors and the like: the listener still stands; the client will retry.
                BalancerLog.AcceptFailed(_logger, e);
                continue;
            }

            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        client.NoDelay = true;
        foreach (var server in _servers.Candidates())
        {
            if (_stopping.IsCancellationRequested)
            {
                break;
            }

            var backend = await DialAsync(server).ConfigureAwait(false);
            if (backend is null)
            {
                continue;
            }

            var previous = _servers.Current;
            _servers.Connected(server);
            if (previous != server)
            {
                BalancerLog.FailedOver(_logger, previous, server);
            }

            var connection = new ProxiedConnection(client, backend);
            _connections[connection] = server;
            try
            {
                await connection.PumpAsync(_stopping).ConfigureAwait(false);
            }
            finally
            {
                _connections.TryRemove(connection, out _);
                connection.Close();
            }

            return;
        }

        BalancerLog.NoServer(_logger, _servers.All);
        client.Dispose();
    }

    private async Task<Socket?> DialAsync(string server)
    {
        var (host, port) = ServerAddress.Split(server);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(_options.DialTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping);
        try
        {
            await socket.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            if (!_stopping.IsCancellationRequested && _servers.SetHealth(server, false))
            {
                BalancerLog.DialFailed(_logger, server, e.Message);
            }

            return null;
        }
    }

    private void CloseConnections(string server)
    {
        foreach (var (connection, target) in _connections)
        {
            if (target == server)
            {
                connection.Close();
            }
        }
    }

    private async Task HealthLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.HealthCheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping).ConfigureAwait(false))
            {
                await CheckHealthAsync(_stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    internal sealed record State(List<string> Servers);

    private static List<string> ReadState(string? path, ILogger logger)
    {
        if (path is null || !File.Exists(path))
        {
            return [];
        }

        try
        {
            var state = JsonSerializer.Deserialize(File.ReadAllText(path), BalancerStateJson.Default.State);
            return state?.Servers?.Select(ServerAddress.Parse).ToList() ?? [];
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or UnauthorizedAccessException)
        {
            // A damaged file only costs the learned servers; the Endpoints bring them back.
            BalancerLog.StateUnreadable(logger, path, e);
            return [];
        }
    }

    private void WriteState()
    {
        if (_options.StateFile is not { } path)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var tmp = path + ".tmp." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            File.WriteAllText(tmp, JsonSerializer.Serialize(new State([.. _servers.Learned]), BalancerStateJson.Default.State));
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            BalancerLog.StateUnwritable(_logger, path, e);
        }
    }
}

internal static partial class BalancerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "load balancer {Local} -> {Servers}")]
    public static partial void Started(ILogger logger, string local, IEnumerable<string> servers);

    [LoggerMessage(Level = LogLevel.Information, Message = "load balancer servers: {Servers} (added {Added}; removed {Removed})")]
    public static partial void ServersChanged(ILogger logger, IEnumerable<string> servers, IEnumerable<string> added, IEnumerable<string> removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "load balancer: API server {Server} failed its health check; closing its {Connections} connections")]
    public static partial void ServerDown(ILogger logger, string server, int connections);

    [LoggerMessage(Level = LogLevel.Information, Message = "load balancer: API server {Server} is up again")]
    public static partial void ServerUp(ILogger logger, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "load balancer: connecting to API server {Server} failed ({Reason}); trying the next one")]
    public static partial void DialFailed(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "load balancer: failed over from {From} to {To}")]
    public static partial void FailedOver(ILogger logger, string from, string to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "load balancer: no API server accepted a connection (tried {Servers})")]
    public static partial void NoServer(ILogger logger, IEnumerable<string> servers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "load balancer: accept failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "load balancer: the health check of {Server} threw")]
    public static partial void CheckFailed(ILogger logger, string server, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "load balancer: cannot read {Path}; starting from the command-line servers")]
    public static partial void StateUnreadable(ILogger logger, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "load balancer: cannot write {Path}")]
    public static partial void StateUnwritable(ILogger logger, string path, Exception exception);

}

/// <summary>The balancer's state file, serialised without reflection (the node is compiled ahead of time, docs/adr/0023).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ApiServerBalancer.State))]
internal sealed partial class BalancerStateJson : JsonSerializerContext;
