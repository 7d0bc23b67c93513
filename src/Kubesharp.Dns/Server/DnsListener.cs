using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kubesharp.Dns.Wire;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Dns.Server;

/// <summary>
/// Serves DNS over UDP and TCP on one address and port.
/// <para>
/// UDP: a few receive loops share the socket; each handles a packet synchronously in its own buffers (no queue between
/// receiving and answering: when the loops fall behind, the kernel's socket buffer drops datagrams, which is UDP's own
/// back-pressure), so a flood costs bounded work per packet and cannot grow memory. Forwarded queries run as tasks,
/// bounded by the <see cref="Forwarder"/>'s in-flight limit.
/// </para>
/// <para>
/// TCP: messages framed by a 2-byte length (RFC 1035 4.2.2, RFC 7766), answered in order per connection; at most
/// <c>MaxTcpConnections</c> connections (more are closed at once), each closed after <c>TcpIdleTimeout</c> without a
/// complete message.
/// </para>
/// <para>
/// On a wildcard address, a UDP reply leaves with the source address the kernel's route to the client picks, which need
/// not be the address the query was sent to; a client (or the kube-dns Service's DNAT, whose conntrack entry expects
/// the endpoint's address) then drops it. So each of <see cref="DnsListenerSettings.ReplyAddresses"/> that is an address
/// of this host also gets a UDP socket of its own on the same port: the kernel hands a datagram to the most specific
/// socket, and replies from it carry that address. CoreDNS gets the same effect from IP_PKTINFO on one socket, which
/// .NET cannot set on a send.
/// </para>
/// </summary>
internal sealed partial class DnsListener : IAsyncDisposable
{
    private readonly QueryHandler _handler;
    private readonly DnsListenerSettings _settings;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly List<Socket> _udp = [];
    private Socket? _tcp;
    private int _tcpConnections;

    public DnsListener(QueryHandler handler, Forwarder forwarder, DnsListenerSettings settings, ILogger logger)
    {
        _handler = handler;
        Forwarder = forwarder;
        _settings = settings;
        _logger = logger;
    }

    /// <summary>Forwards names outside the cluster; set before the first query arrives, or swapped whole.</summary>
    public Forwarder Forwarder { get; set; }

    /// <summary>The bound endpoint (UDP and TCP share the port).</summary>
    public IPEndPoint? EndPoint { get; private set; }

    /// <summary>Binds both sockets (a port 0 is chosen once, for both) and starts serving. Throws <see cref="SocketException"/> when the port is taken.</summary>
    public void Start()
    {
        var endPoint = _settings.Listen;
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            var tcp = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (IsWildcard(endPoint.Address) && _settings.ReplyAddresses.Count > 0)
                {
                    // Linux lets a specific address share a UDP port with the wildcard only when both sockets ask; the
                    // TCP listener below still fails on a port another server holds.
                    udp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                }

                udp.Bind(endPoint);
                var bound = (IPEndPoint)udp.LocalEndPoint!;
                tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Bind(bound);
                tcp.Listen(512);
                _udp.Add(udp);
                _tcp = tcp;
                EndPoint = bound;
                break;
            }
            catch (SocketException) when (endPoint.Port == 0 && attempt < 10)
            {
                // The port the kernel chose for UDP was taken for TCP: choose again.
                udp.Dispose();
                tcp.Dispose();
            }
            catch
            {
                udp.Dispose();
                tcp.Dispose();
                throw;
            }
        }

        var port = EndPoint!.Port;
        if (IsWildcard(endPoint.Address))
        {
            foreach (var address in _settings.ReplyAddresses.Where(a => a.AddressFamily == endPoint.AddressFamily && !IsWildcard(a)).Distinct())
            {
                var specific = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                try
                {
                    specific.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    specific.Bind(new IPEndPoint(address, port));
                    _udp.Add(specific);
                }
                catch (SocketException e)
                {
                    // Not an address of this host (yet): queries to it cannot arrive here, the wildcard serves the rest.
                    specific.Dispose();
                    Log.ReplyAddressSkipped(_logger, address, e.SocketErrorCode);
                }
            }
        }

        foreach (var udp in _udp)
        {
            udp.ReceiveBufferSize = Math.Max(udp.ReceiveBufferSize, 1 << 20);
            // The address-specific sockets carry the traffic of the kube-dns Service: as many loops as the wildcard.
            for (var i = 0; i < _settings.UdpLoops; i++)
            {
                _loops.Add(Task.Run(() => UdpLoopAsync(udp, _stop.Token), CancellationToken.None));
            }
        }

        _loops.Add(Task.Run(() => AcceptLoopAsync(_stop.Token), CancellationToken.None));
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private async Task UdpLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        var request = GC.AllocateUninitializedArray<byte>(DnsLimits.MaxMessageSize, pinned: true);
        var response = GC.AllocateUninitializedArray<byte>(DnsLimits.MaxMessageSize, pinned: true);
        var from = new SocketAddress(socket.AddressFamily);
        while (!cancellationToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(request, SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // A truncated datagram or an ICMP error from an earlier send: nothing to answer, keep serving.
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            try
            {
                switch (_handler.Handle(request.AsSpan(0, received), response, tcp: false, out var length))
                {
                    case HandleOutcome.Respond:
                        await socket.SendToAsync(response.AsMemory(0, length), SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
                        break;
                    case HandleOutcome.Forward:
                        StartUdpForward(socket, request.AsSpan(0, received), from, response, cancellationToken);
                        break;
                    default:
                        break;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The client's address is unreachable or the socket is closing.
            }
            catch (Exception e)
            {
                // A bug must not stop the server: log it and serve the next packet.
                Log.HandlerFailed(_logger, e);
            }
        }
    }

    private void StartUdpForward(Socket socket, ReadOnlySpan<byte> query, SocketAddress from, byte[] scratch, CancellationToken cancellationToken)
    {
        if (!Forwarder.TryEnter())
        {
            var length = QueryHandler.ErrorFor(query, scratch, DnsRcode.Refused, tcp: false);
            if (length > 0)
            {
                socket.SendTo(scratch.AsSpan(0, length), SocketFlags.None, from);
            }

            return;
        }

        var copy = ArrayPool<byte>.Shared.Rent(query.Length);
        query.CopyTo(copy);
        var client = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(client.Buffer);
        var size = query.Length;
        _ = Task.Run(async () =>
        {
            var response = ArrayPool<byte>.Shared.Rent(DnsLimits.MaxMessageSize);
            try
            {
                var length = await Forwarder.ForwardAsync(copy.AsMemory(0, size), response, tcp: false, cancellationToken).ConfigureAwait(false);
                if (length > 0)
                {
                    await socket.SendToAsync(response.AsMemory(0, length), SocketFlags.None, client, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopping, or the client went away.
            }
            catch (Exception e)
            {
                Log.HandlerFailed(_logger, e);
            }
            finally
            {
                Forwarder.Exit();
                ArrayPool<byte>.Shared.Return(response);
                ArrayPool<byte>.Shared.Return(copy);
            }
        }, CancellationToken.None);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _tcp!.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (Interlocked.Increment(ref _tcpConnections) > _settings.MaxTcpConnections)
            {
                Interlocked.Decrement(ref _tcpConnections);
                _handler.Counters.Refuse();
                connection.Dispose();
                continue;
            }

            _ = Task.Run(() => ServeConnectionAsync(connection, cancellationToken), CancellationToken.None);
        }
    }

    private async Task ServeConnectionAsync(Socket connection, CancellationToken cancellationToken)
    {
        var request = ArrayPool<byte>.Shared.Rent(DnsLimits.MaxMessageSize + 2);
        var response = ArrayPool<byte>.Shared.Rent(DnsLimits.MaxMessageSize + 2);
        try
        {
            using (connection)
            {
                connection.NoDelay = true;
                while (!cancellationToken.IsCancellationRequested)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    idle.CancelAfter(_settings.TcpIdleTimeout);
                    if (!await TcpFraming.ReadExactlyAsync(connection, request.AsMemory(0, 2), idle.Token).ConfigureAwait(false))
                    {
                        return;
                    }

                    var size = BinaryPrimitives.ReadUInt16BigEndian(request);
                    if (!await TcpFraming.ReadExactlyAsync(connection, request.AsMemory(2, size), idle.Token).ConfigureAwait(false))
                    {
                        return;
                    }

                    var query = request.AsMemory(2, size);
                    int length;
                    switch (_handler.Handle(query.Span, response.AsSpan(2), tcp: true, out length))
                    {
                        case HandleOutcome.Respond:
                            break;
                        case HandleOutcome.Forward:
                            if (!Forwarder.TryEnter())
                            {
                                length = QueryHandler.ErrorFor(query.Span, response.AsSpan(2), DnsRcode.Refused, tcp: true);
                                break;
                            }

                            try
                            {
                                length = await Forwarder.ForwardAsync(query, response.AsMemory(2), tcp: true, cancellationToken).ConfigureAwait(false);
                            }
                            finally
                            {
                                Forwarder.Exit();
                            }

                            break;
                        default:
                            // Unanswerable: RFC 7766 lets the server close the connection.
                            return;
                    }

                    if (length == 0)
                    {
                        return;
                    }

                    BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)length);
                    await connection.SendAsync(response.AsMemory(0, length + 2), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Idle too long, stopping, or the client went away.
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, e);
        }
        finally
        {
            Interlocked.Decrement(ref _tcpConnections);
            ArrayPool<byte>.Shared.Return(request);
            ArrayPool<byte>.Shared.Return(response);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var udp in _udp)
        {
            udp.Dispose();
        }

        _tcp?.Dispose();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "cluster DNS: handling a query failed")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "cluster DNS: cannot listen on {Address} beside the wildcard ({Error}): UDP replies to queries sent there may leave from another address")]
        public static partial void ReplyAddressSkipped(ILogger logger, IPAddress address, SocketError error);
    }
}

/// <summary>Listener settings, taken from <see cref="DnsServerOptions"/>.</summary>
/// <param name="ReplyAddresses">With a wildcard <paramref name="Listen"/>: the addresses UDP queries are sent to
/// (the advertised ones, behind the kube-dns Service), each served by a socket of its own so that replies leave from it.</param>
internal sealed record DnsListenerSettings(IPEndPoint Listen, int UdpLoops, int MaxTcpConnections, TimeSpan TcpIdleTimeout, IReadOnlyList<IPAddress> ReplyAddresses);
