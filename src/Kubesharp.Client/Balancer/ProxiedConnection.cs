using System.Buffers;
using System.Net.Sockets;

namespace Kubesharp.Client.Balancer;

/// <summary>
/// One client connection joined to one server connection. Bytes are copied both ways as they come; an end of stream
/// on one side is passed on as a half-close (TLS close_notify and HTTP/1.1 both cope), and a reset or error on either
/// side closes both. <see cref="Close"/> may be called from any thread, any number of times.
/// </summary>
internal sealed class ProxiedConnection(Socket client, Socket server)
{
    private const int BufferSize = 32 * 1024;
    private int _closed;

    /// <summary>Copies until both directions ended or the connection was closed.</summary>
    public Task PumpAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(CopyAsync(client, server, cancellationToken), CopyAsync(server, client, cancellationToken));

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task CopyAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // One side is gone: the other must see it at once (a server that died must not leave the client waiting).
            Close();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
