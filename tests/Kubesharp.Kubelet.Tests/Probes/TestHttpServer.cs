using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kubesharp.Kubelet.Tests.Probes;

/// <summary>One HTTP/1.1 request as the test server read it.</summary>
internal sealed record SeenRequest(string Path, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 for probe tests: each request is answered with the raw response the handler
/// returns (null: never answer, to test timeouts), then the connection is closed. Every request is recorded and
/// announced on <see cref="Requests"/>.
/// </summary>
internal sealed class TestHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<SeenRequest, string?> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _accepting;

    public TestHttpServer(Func<SeenRequest, string?> handler)
    {
        _handler = handler;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public System.Threading.Channels.Channel<SeenRequest> Requests { get; } = System.Threading.Channels.Channel.CreateUnbounded<SeenRequest>();

    public static string Response(int status, string body = "", params string[] headers)
    {
        var text = new StringBuilder();
        text.Append($"HTTP/1.1 {status} X\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n");
        foreach (var header in headers)
        {
            text.Append(header).Append("\r\n");
        }

        return text.Append("\r\n").Append(body).ToString();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _clients.Add(client);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var buffer = new byte[64 * 1024];
            var read = 0;
            string head;
            while (true)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                if (n == 0)
                {
                    return;
                }

                read += n;
                head = Encoding.ASCII.GetString(buffer, 0, read);
                if (head.Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var lines = head[..head.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var name = line[..colon];
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var previous) ? $"{previous}, {value}" : value;
            }

            var request = new SeenRequest(lines[0].Split(' ')[1], headers);
            Requests.Writer.TryWrite(request);
            if (_handler(request) is { } response)
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(response), _stop.Token);
                client.Dispose();
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _accepting;
        _stop.Dispose();
    }
}
