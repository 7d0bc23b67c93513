using System.Net.WebSockets;
using Kubesharp.Api.Streaming;
using Kubesharp.Kubelet.Cri.V1;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.Kubelet.Server;

public sealed partial class KubeletServer
{
    /// <summary>
    /// Exec and attach. The caller's WebSocket (<c>v5.channel.k8s.io</c>, <c>v4.channel.k8s.io</c> or
    /// <c>channel.k8s.io</c>) is relayed to a WebSocket on the runtime's streaming URL. containerd 1.6's streaming
    /// server knows no v5, so a v5 caller is relayed to <c>v4.channel.k8s.io</c>: the frames and the final Status on
    /// the error channel are the same bytes; only v5's close-channel frames (the caller closed stdin) are dropped,
    /// since a v4 WebSocket has no way to half-close stdin (the runtime sees stdin end when the session ends).
    /// The runtime is reached before the caller's upgrade is accepted, so that its failures are plain HTTP errors.
    /// </summary>
    private async Task StreamAsync(HttpContext context, bool exec, string ns, string podName, string container)
    {
        var query = context.Request.Query;
        var tty = query["tty"] == "1";
        var stdin = query["stdin"] == "1";
        var stdout = query["stdout"] == "1";
        // Upstream's NewOptions: a terminal merges stderr into stdout.
        var stderr = query["stderr"] == "1" && !tty;
        var command = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await TextAsync(context, 400, "Upgrade request required: this kubelet serves exec and attach over WebSocket only");
            return;
        }

        if (!stdin && !stdout && !stderr)
        {
            await TextAsync(context, 400, "you must specify at least 1 of stdin, stdout, stderr");
            return;
        }

        if (exec && command.Count == 0)
        {
            await TextAsync(context, 400, "you must specify at least one command for the container");
            return;
        }

        if (!_locator.Pods.Any(p => p.Metadata?.NamespaceProperty == ns && p.Metadata.Name == podName))
        {
            await TextAsync(context, 404, "pod does not exist");
            return;
        }

        if (_locator.Find(ns, podName, container, false) is not { Running: true } location)
        {
            await TextAsync(context, 404, $"container not found (\"{container}\")");
            return;
        }

        var offered = context.Request.Headers.SecWebSocketProtocol.Select(v => v ?? "");
        var protocol = StreamProtocols.Negotiate(offered, StreamProtocols.Binary);
        if (protocol is null && context.Request.Headers.SecWebSocketProtocol.Count > 0)
        {
            await TextAsync(context, 400, $"unable to upgrade: unsupported subprotocols; supported: {string.Join(", ", StreamProtocols.Binary)}");
            return;
        }

        var runtimeProtocol = protocol is StreamProtocols.V5 or StreamProtocols.V4 ? StreamProtocols.V4 : StreamProtocols.V1;
        Uri url;
        if (exec)
        {
            var request = new ExecRequest { ContainerId = location.ContainerId, Tty = tty, Stdin = stdin, Stdout = stdout, Stderr = stderr };
            request.Cmd.AddRange(command);
            url = await _runtime.ExecUrlAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            url = await _runtime.AttachUrlAsync(new AttachRequest { ContainerId = location.ContainerId, Tty = tty, Stdin = stdin, Stdout = stdout, Stderr = stderr }, context.RequestAborted).ConfigureAwait(false);
        }

        using var upstream = new ClientWebSocket();
        upstream.Options.AddSubProtocol(runtimeProtocol);
        upstream.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            await upstream.ConnectAsync(WebSocketUrl(url), context.RequestAborted).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            Log.StreamFailed(_logger, e, exec ? "exec" : "attach", ns, podName, container);
            await TextAsync(context, 500, $"unable to reach the runtime's streaming server: {e.Message}");
            return;
        }

        using var client = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = protocol, KeepAliveInterval = TimeSpan.Zero }).ConfigureAwait(false);
        WebSocketRelay.Filter? filter = protocol == StreamProtocols.V5 ? DropCloseFrames : null;
        await WebSocketRelay.RunAsync(client, upstream, filter, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>v5's close-channel frames have nowhere to go on a v4 session.</summary>
    internal static byte[]? DropCloseFrames(byte[] message) =>
        message.Length > 0 && message[0] == StreamProtocols.CloseChannel ? null : message;

    internal static Uri WebSocketUrl(Uri url) => new UriBuilder(url)
    {
        Scheme = url.Scheme switch
        {
            "http" => "ws",
            "https" => "wss",
            _ => url.Scheme,
        },
    }.Uri;
}
