using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Kubesharp.Dns.Tests.Server;

/// <summary>
/// A resolver on a loopback port (UDP and TCP) that answers every query with one A record, 192.0.2.53 (TEST-NET-1),
/// echoing id and question; or, when <c>silent</c>, reads queries and never answers.
/// </summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _silent;
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _queries;

    public FakeUpstream(bool silent = false)
    {
        _silent = silent;
        for (var attempt = 0; ; attempt++)
        {
            // The port the kernel chose for UDP may be taken for TCP (another test's connection): choose again.
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                tcp.Bind(udp.LocalEndPoint!);
                tcp.Listen(16);
                (_udp, _tcp) = (udp, tcp);
                break;
            }
            catch (SocketException) when (attempt < 20)
            {
                udp.Dispose();
                tcp.Dispose();
            }
        }

        EndPoint = (IPEndPoint)_udp.LocalEndPoint!;
        _udpLoop = Task.Run(UdpAsync);
        _tcpLoop = Task.Run(TcpAsync);
    }

    public IPEndPoint EndPoint { get; }

    public int Queries => Volatile.Read(ref _queries);

    public static byte[] Answer(ReadOnlySpan<byte> query)
    {
        var answer = new byte[query.Length + 16];
        query.CopyTo(answer);
        answer[2] |= 0x80;
        answer[3] = 0x80;
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(6), 1);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(10), 0);

        // Cut any OPT record: the question ends at its type and class.
        var end = 12;
        while (query[end] != 0)
        {
            end += 1 + query[end];
        }

        end += 5;
        var n = end;
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(n), 0xC00C);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(n + 2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(n + 4), 1);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(n + 6), 300);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(n + 10), 4);
        answer[n + 12] = 192;
        answer[n + 13] = 0;
        answer[n + 14] = 2;
        answer[n + 15] = 53;
        return answer[..(n + 16)];
    }

    private async Task UdpAsync()
    {
        var buffer = new byte[4096];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var n = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, from, _stop.Token);
                Interlocked.Increment(ref _queries);
                if (!_silent)
                {
                    await _udp.SendToAsync(Answer(buffer.AsSpan(0, n)), SocketFlags.None, from, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    private async Task TcpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var connection = await _tcp.AcceptAsync(_stop.Token);
                using var stream = new NetworkStream(connection);
                var prefix = new byte[2];
                await stream.ReadExactlyAsync(prefix, _stop.Token);
                var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                await stream.ReadExactlyAsync(query, _stop.Token);
                Interlocked.Increment(ref _queries);
                if (_silent)
                {
                    continue;
                }

                var answer = Answer(query);
                BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)answer.Length);
                await stream.WriteAsync(prefix, _stop.Token);
                await stream.WriteAsync(answer, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException or EndOfStreamException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Dispose();
        await Task.WhenAll(_udpLoop, _tcpLoop);
        _stop.Dispose();
    }
}
