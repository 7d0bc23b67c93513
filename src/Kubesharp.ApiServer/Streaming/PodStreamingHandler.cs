using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using k8s.Models;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Streaming;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Streaming;

/// <summary>
/// <c>pods/log</c>, <c>pods/exec</c> and <c>pods/attach</c>: upstream's LogREST, ExecREST and AttachREST. The pod names
/// its node and the container (defaulted when the pod has exactly one); the node names its kubelet
/// (<see cref="KubeletConnection"/>). Logs are streamed through as <c>text/plain</c>; exec and attach take the
/// client's WebSocket upgrade, open a WebSocket to the kubelet offering the client's subprotocols, accept the client
/// with the one the kubelet chose, and relay frames byte for byte. SPDY is not served: a client that asks for it
/// gets 400 (kubectl only tries it when the WebSocket upgrade is refused). Authorization happened before (GET is
/// <c>get</c>, POST <c>create</c> on the subresource, as upstream v1.32).
/// </summary>
internal sealed partial class PodStreamingHandler(ClusterObjectReader reader, KubeletConnection kubelets, ILogger logger)
{
    public static bool Handles(ApiPath path) =>
        path.Resource is { Group: "", Plural: "pods" } && path.Name is not null && path.Namespace is not null && path.Subresource is "log" or "exec" or "attach";

    public async Task HandleAsync(HttpContext context, ApiPath path)
    {
        var method = context.Request.Method;
        var sub = path.Subresource!;
        if (sub == "log" ? method != "GET" : method is not ("GET" or "POST"))
        {
            throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} pods/{sub})");
        }

        var ns = path.Namespace!;
        var name = path.Name!;
        var pod = await reader.GetPodAsync(ns, name, context.RequestAborted) ?? throw StatusException.NotFound("", "pods", name);
        var container = Container(pod, name, context.Request.Query["container"].ToString());
        if (sub == "log")
        {
            await LogAsync(context, pod, name, container);
        }
        else
        {
            await ConnectAsync(context, pod, name, container, sub);
        }
    }

    /// <summary>Upstream's container choice in <c>LogLocation</c> and <c>streamLocation</c>.</summary>
    internal static string Container(V1Pod pod, string name, string requested)
    {
        var containers = pod.Spec?.Containers ?? [];
        var init = pod.Spec?.InitContainers ?? [];
        if (requested.Length > 0)
        {
            var known = containers.Select(c => c.Name).Concat(init.Select(c => c.Name)).Concat((pod.Spec?.EphemeralContainers ?? []).Select(c => c.Name));
            return known.Contains(requested) ? requested : throw StatusException.BadRequest($"container {requested} is not valid for pod {name}");
        }

        switch (containers.Count)
        {
            case 1:
                return containers[0].Name;
            case 0:
                throw StatusException.BadRequest($"a container name must be specified for pod {name}");
            default:
                var message = $"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', containers.Select(c => c.Name))}]";
                if (init.Count > 0)
                {
                    message += $" or one of the init containers: [{string.Join(' ', init.Select(c => c.Name))}]";
                }

                throw StatusException.BadRequest(message);
        }
    }

    /// <summary>
    /// Upstream's LogREST: the options are validated (422 Invalid PodLogOptions), an unscheduled pod has an empty log
    /// (200, no body, as upstream's LocationStreamer without a location), and the kubelet's answer is streamed through;
    /// its errors become Status responses as upstream's GenericHttpResponseChecker makes them.
    /// </summary>
    private async Task LogAsync(HttpContext context, V1Pod pod, string name, string container)
    {
        var query = context.Request.Query;
        var forward = new List<string>();
        List<StatusCause> invalid = [];
        foreach (var (param, min) in (ReadOnlySpan<(string, long)>)[("tailLines", 0), ("limitBytes", 1), ("sinceSeconds", 1)])
        {
            if (query[param].ToString() is not { Length: > 0 } text)
            {
                continue;
            }

            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                throw StatusException.BadRequest($"invalid value for {param}: \"{text}\"");
            }

            if (value < min)
            {
                invalid.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {value}: must be greater than {(min == 0 ? "or equal to 0" : "0")}", param));
            }

            forward.Add($"{param}={value.ToString(CultureInfo.InvariantCulture)}");
        }

        if (query["sinceTime"].ToString() is { Length: > 0 } sinceTime)
        {
            if (query.ContainsKey("sinceSeconds"))
            {
                invalid.Add(new StatusCause("FieldValueForbidden", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified", "sinceSeconds"));
            }

            forward.Add("sinceTime=" + Uri.EscapeDataString(sinceTime));
        }

        if (invalid.Count > 0)
        {
            throw StatusException.Invalid("", "PodLogOptions", name, invalid);
        }

        foreach (var flag in (ReadOnlySpan<string>)["follow", "previous", "timestamps"])
        {
            if (query[flag].ToString() is "true" or "1" or "True")
            {
                forward.Add(flag + "=true");
            }
        }

        if (string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/plain";
            return;
        }

        var node = await NodeAsync(pod.Spec.NodeName, context.RequestAborted);
        var url = new Uri(KubeletConnection.BaseUrl(node), $"/containerLogs/{Uri.EscapeDataString(pod.Metadata.NamespaceProperty)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}{(forward.Count > 0 ? "?" + string.Join('&', forward) : "")}");
        HttpResponseMessage response;
        try
        {
            response = await kubelets.Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            throw StatusException.Unclassified($"Get \"{url}\": {e.Message}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await ReadLimitedAsync(response, context.RequestAborted);
                throw KubeletError(response.StatusCode, body, name);
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/plain";
            await context.Response.StartAsync(context.RequestAborted);
            await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            var buffer = new byte[32 * 1024];
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer, context.RequestAborted);
                    if (read == 0)
                    {
                        break;
                    }

                    // Flushed per read: a follow shows each line when the kubelet sends it.
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (IOException e) when (!context.RequestAborted.IsCancellationRequested)
            {
                // The kubelet went away mid-stream: the response has started, so end it.
                Log.StreamEnded(logger, e, pod.Metadata.NamespaceProperty, name);
            }
        }
    }

    /// <summary>Upstream's ExecREST and AttachREST (Connect) over WebSocket.</summary>
    private async Task ConnectAsync(HttpContext context, V1Pod pod, string name, string container, string sub)
    {
        var query = context.Request.Query;
        bool Flag(string param) => query[param].ToString() is "true" or "1" or "True";
        var stdin = Flag("stdin");
        var stdout = Flag("stdout");
        var stderr = Flag("stderr");
        var tty = Flag("tty");
        var command = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (!stdin && !stdout && !stderr)
        {
            throw StatusException.BadRequest("you must specify at least 1 of stdin, stdout, stderr");
        }

        if (tty && stderr)
        {
            // A terminal merges stderr into stdout; upstream's kubelet drops the stderr stream in that case too.
            stderr = false;
        }

        if (sub == "exec" && command.Count == 0)
        {
            throw StatusException.BadRequest("you must specify at least 1 command");
        }

        if (string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            throw StatusException.BadRequest($"pod {name} does not have a host assigned");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw StatusException.BadRequest("Upgrade request required: this server serves exec and attach over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) only");
        }

        var node = await NodeAsync(pod.Spec.NodeName, context.RequestAborted);
        var parameters = new List<string>();
        foreach (var c in command)
        {
            parameters.Add("command=" + Uri.EscapeDataString(c));
        }

        foreach (var (param, on) in (ReadOnlySpan<(string, bool)>)[("stdin", stdin), ("stdout", stdout), ("stderr", stderr), ("tty", tty)])
        {
            if (on)
            {
                parameters.Add(param + "=1");
            }
        }

        var url = new UriBuilder(new Uri(KubeletConnection.BaseUrl(node), $"/{sub}/{Uri.EscapeDataString(pod.Metadata.NamespaceProperty)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}"))
        {
            Scheme = "wss",
            Query = string.Join('&', parameters),
        }.Uri;
        using var upstream = new ClientWebSocket();
        foreach (var protocol in context.Request.Headers.SecWebSocketProtocol.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            upstream.Options.AddSubProtocol(protocol);
        }

        upstream.Options.KeepAliveInterval = TimeSpan.Zero;
        upstream.Options.CollectHttpResponseDetails = true;
        try
        {
            using var invoker = new HttpMessageInvoker(kubelets.Handler, disposeHandler: false);
            await upstream.ConnectAsync(url, invoker, context.RequestAborted);
        }
        catch (WebSocketException e)
        {
            throw upstream.HttpStatusCode is 0
                ? StatusException.Unclassified($"error dialing backend: {e.Message}")
                : KubeletError(upstream.HttpStatusCode, $"unable to upgrade connection: {upstream.HttpStatusCode}", name);
        }

        using var client = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = upstream.SubProtocol, KeepAliveInterval = TimeSpan.Zero });
        await WebSocketRelay.RunAsync(client, upstream, null, context.RequestAborted);
    }

    private async Task<V1Node> NodeAsync(string nodeName, CancellationToken cancellationToken) =>
        await reader.GetNodeAsync(nodeName, cancellationToken) ?? throw StatusException.NotFound("", "nodes", nodeName);

    /// <summary>Upstream's GenericHttpResponseChecker: 400 BadRequest, 500 InternalError, anything else a generic response.</summary>
    internal static StatusException KubeletError(HttpStatusCode code, string body, string name)
    {
        body = body.TrimEnd('\n');
        return code switch
        {
            HttpStatusCode.BadRequest => StatusException.BadRequest(body),
            HttpStatusCode.InternalServerError => StatusException.Internal($"Internal error occurred: {body}"),
            HttpStatusCode.NotFound => new StatusException(code, "NotFound", $"the server could not find the requested resource ( pods {name})",
                new StatusDetails(name, "", "pods", null, [new StatusCause("UnexpectedServerResponse", body, null)])),
            HttpStatusCode.Forbidden => new StatusException(code, "Forbidden", body),
            HttpStatusCode.Unauthorized => new StatusException(code, "Unauthorized", body),
            _ => new StatusException(code, "", body),
        };
    }

    private static async Task<string> ReadLimitedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[50_000];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "The log stream of {Namespace}/{Pod} ended early")]
        public static partial void StreamEnded(ILogger logger, Exception exception, string @namespace, string pod);
    }
}
