using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Kubesharp.Dns.Tests.Server;

/// <summary>A minimal stub resolver for tests: one query over UDP (with retries, as real resolvers do) or TCP.</summary>
internal static class DnsClient
{
    /// <summary>One query over UDP from a connected socket (bound to <paramref name="from"/> when given): like a real stub resolver, it takes only replies from the address it asked.</summary>
    public static async Task<DnsResponse> UdpAsync(IPEndPoint server, byte[] query, int attempts = 5, int timeoutMs = 2000, IPAddress? from = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        socket.Connect(server);
        var buffer = new byte[65535];
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            await socket.SendAsync(query, SocketFlags.None);
            using var timeout = new CancellationTokenSource(timeoutMs);
            try
            {
                while (true)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    if (n >= 2 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == BinaryPrimitives.ReadUInt16BigEndian(query))
                    {
                        return DnsMessages.Parse(buffer.AsSpan(0, n));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Lost or not answered: ask again.
            }
        }

        throw new TimeoutException($"no answer from {server} after {attempts} attempts");
    }

    public static async Task<DnsResponse> TcpAsync(IPEndPoint server, byte[] query)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.ConnectAsync(server, timeout.Token);
        var stream = client.GetStream();
        var prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)query.Length);
        await stream.WriteAsync(prefix, timeout.Token);
        await stream.WriteAsync(query, timeout.Token);
        await stream.ReadExactlyAsync(prefix, timeout.Token);
        var answer = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(answer, timeout.Token);
        return DnsMessages.Parse(answer);
    }
}
