using System.Net.WebSockets;

namespace Kubesharp.Api.Streaming;

/// <summary>
/// Relays two WebSockets into each other, message for message: each fragment is sent on as it arrives, with its
/// type and end-of-message flag, so channel frames pass byte for byte. A <see cref="Filter"/> may drop or replace
/// whole messages in one direction (the kubelet drops v5 close-channel frames towards a v4 runtime). When either
/// side closes or fails, the other is closed with the same status (or 1011 after a failure) and both pumps end.
/// </summary>
public static class WebSocketRelay
{
    /// <summary>Decides what becomes of one complete message on its way; return null to drop it.</summary>
    public delegate byte[]? Filter(byte[] message);

    /// <summary>How long the second side has to answer once the first one closed.</summary>
    public static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(10);

    /// <summary>Runs until both directions have ended or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task RunAsync(WebSocket client, WebSocket upstream, Filter? clientToUpstream, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = PumpAsync(client, upstream, clientToUpstream, stop);
        var down = PumpAsync(upstream, client, null, stop);
        await Task.WhenAny(up, down).ConfigureAwait(false);
        // One side has closed: the other gets a while to answer the close before both are cut.
        stop.CancelAfter(CloseGrace);
        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    private static async Task PumpAsync(WebSocket from, WebSocket to, Filter? filter, CancellationTokenSource stop)
    {
        var buffer = new byte[32 * 1024];
        var message = filter is null ? null : new MemoryStream();
        try
        {
            while (true)
            {
                var result = await from.ReceiveAsync(buffer, stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(to, from.CloseStatus ?? WebSocketCloseStatus.NormalClosure, from.CloseStatusDescription, stop.Token).ConfigureAwait(false);
                    return;
                }

                if (message is null)
                {
                    await to.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, stop.Token).ConfigureAwait(false);
                    continue;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var whole = message.ToArray();
                message.SetLength(0);
                if (filter!(whole) is { } passed)
                {
                    await to.SendAsync(passed, result.MessageType, true, stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // One side went away: end the other one too, and the other pump with it.
            await CloseAsync(to, WebSocketCloseStatus.InternalServerError, null, CancellationToken.None).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            // CloseOutput: do not wait for the peer's reply here; the other pump reads it.
            await socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }
}
