using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kubesharp.Dns.Wire;

namespace Kubesharp.Dns.Server;

/// <summary>
/// Forwards queries for names outside the cluster to the upstream resolvers (CoreDNS's <c>forward . /etc/resolv.conf</c>),
/// over the transport the client used.
/// <para>
/// Contract: each upstream is tried in order, each for at most <c>timeout</c>; the first answer whose id matches is
/// relayed with the client's id; when none answers the client gets SERVFAIL. At most <c>maxConcurrent</c> forwards are in
/// flight; a query beyond that gets REFUSED at once (CoreDNS's <c>max_concurrent</c>), so a flood of outside names
/// cannot grow memory or tasks without bound. Thread-safe. Never throws except for cancellation.
/// </para>
/// </summary>
internal sealed class Forwarder(IReadOnlyList<IPEndPoint> upstreams, TimeSpan timeout, int maxConcurrent, DnsCounters counters)
{
    private int _inFlight;

    public IReadOnlyList<IPEndPoint> Upstreams => upstreams;

    /// <summary>Claims a slot for one forward; false when <c>maxConcurrent</c> are in flight (answer REFUSED).</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _inFlight) > maxConcurrent)
        {
            Interlocked.Decrement(ref _inFlight);
            counters.Refuse();
            return false;
        }

        return true;
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>
    /// Forwards <paramref name="query"/> (after <see cref="TryEnter"/>) and writes the message to send back into
    /// <paramref name="response"/> (at least 65,535 bytes); returns its length (0: nothing to send).
    /// </summary>
    public async Task<int> ForwardAsync(ReadOnlyMemory<byte> query, Memory<byte> response, bool tcp, CancellationToken cancellationToken)
    {
        var clientId = BinaryPrimitives.ReadUInt16BigEndian(query.Span);
        var copy = ArrayPool<byte>.Shared.Rent(query.Length);
        try
        {
            query.CopyTo(copy);
            foreach (var upstream in upstreams)
            {
                // A fresh random id per attempt: an answer to an earlier, timed-out attempt cannot be taken for this one.
                var id = (ushort)Random.Shared.Next(0x10000);
                BinaryPrimitives.WriteUInt16BigEndian(copy, id);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(timeout);
                try
                {
                    var length = tcp
                        ? await ExchangeTcpAsync(upstream, copy.AsMemory(0, query.Length), response, id, attempt.Token).ConfigureAwait(false)
                        : await ExchangeUdpAsync(upstream, copy.AsMemory(0, query.Length), response, id, attempt.Token).ConfigureAwait(false);
                    if (length > 0)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(response.Span, clientId);
                        return length;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // This upstream did not answer in time: try the next.
                }
                catch (SocketException)
                {
                    // Refused or unreachable: try the next.
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }

        counters.ForwardFailure();
        return QueryHandler.ErrorFor(query.Span, response.Span, DnsRcode.ServFail, tcp);
    }

    private static async Task<int> ExchangeUdpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, Memory<byte> response, ushort id, CancellationToken cancellationToken)
    {
        using var socket = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(upstream, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var length = await socket.ReceiveAsync(response, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (IsAnswerTo(response.Span[..length], id))
            {
                return length;
            }
        }
    }

    private static async Task<int> ExchangeTcpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, Memory<byte> response, ushort id, CancellationToken cancellationToken)
    {
        using var socket = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(upstream, cancellationToken).ConfigureAwait(false);
        var prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)query.Length);
        await socket.SendAsync(prefix, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (!await TcpFraming.ReadExactlyAsync(socket, prefix, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        if (!await TcpFraming.ReadExactlyAsync(socket, response[..length], cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        return IsAnswerTo(response.Span[..length], id) ? length : 0;
    }

    private static bool IsAnswerTo(ReadOnlySpan<byte> message, ushort id) =>
        message.Length >= DnsLimits.HeaderSize && BinaryPrimitives.ReadUInt16BigEndian(message) == id && (message[2] & 0x80) != 0;
}

internal static class TcpFraming
{
    /// <summary>Reads exactly <paramref name="buffer"/>'s length; false when the peer closes first.</summary>
    public static async ValueTask<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
