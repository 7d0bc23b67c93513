using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kubesharp.Client.Balancer;

namespace Kubesharp.Client.Tests.Balancer;

/// <summary>
/// A TCP server on a loopback port standing in for an API server: each connection first gets the backend's name and a
/// newline, then an echo of whatever it sends. <see cref="Kill"/> is a crash: the listener goes and every accepted
/// connection is reset.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ConcurrentDictionary<Socket, byte> _accepted = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _killed;

    public TestBackend(string name)
    {
        Name = name;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        Address = ServerAddress.Join("127.0.0.1", ((IPEndPoint)_listener.LocalEndPoint!).Port);
        _loop = Task.Run(AcceptAsync);
    }

    public string Name { get; }

    public string Address { get; }

    public int Accepted { get; private set; }

    /// <summary>An address where nothing listens (a port just freed).</summary>
    public static string DeadAddress()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ServerAddress.Join("127.0.0.1", ((IPEndPoint)probe.LocalEndPoint!).Port);
    }

    public void Kill()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 1)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        foreach (var socket in _accepted.Keys)
        {
            // Linger 0: closing sends a reset, as the kernel does for a process killed with open connections.
            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _loop;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Accepted++;
            _accepted[socket] = 0;
            _ = Task.Run(() => EchoAsync(socket));
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(Name + "\n"), SocketFlags.None);
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>A client connection through the balancer, reading lines.</summary>
internal sealed class TestClient : IDisposable
{
    private readonly TcpClient _tcp = new();
    private StreamReader? _reader;

    public static async Task<TestClient> ConnectAsync(ApiServerBalancer balancer)
    {
        var client = new TestClient();
        await client._tcp.ConnectAsync(balancer.LocalEndPoint);
        client._reader = new StreamReader(client._tcp.GetStream(), Encoding.ASCII);
        return client;
    }

    /// <summary>The next line, or null when the balancer closed the connection (end of stream or reset).</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            return await _reader!.ReadLineAsync(bound.Token);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async Task WriteLineAsync(string line) =>
        await _tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(line + "\n"));

    public void ShutdownSend() => _tcp.Client.Shutdown(SocketShutdown.Send);

    public void Dispose()
    {
        _reader?.Dispose();
        _tcp.Dispose();
    }
}
