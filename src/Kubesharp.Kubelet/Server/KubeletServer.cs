using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Logs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Server;

/// <summary>Where and as whom the kubelet's HTTPS server listens.</summary>
/// <param name="Port">10250 by default; 0 picks a free port (see <see cref="KubeletServer.Port"/>).</param>
public sealed record KubeletServerOptions(string NodeName, IPAddress Address, int Port = KubeletServer.DefaultPort);

/// <summary>
/// The kubelet's HTTPS API (upstream's <c>pkg/kubelet/server</c>): <c>/healthz</c>, <c>/pods</c>, <c>/metrics</c>,
/// <c>/containerLogs/NS/POD/CONTAINER</c>, and <c>/exec</c> and <c>/attach</c> over WebSocket. Every request needs a
/// client certificate from the cluster CA (401 otherwise; there is no anonymous or read-only access) and is
/// authorized as a verb on <c>nodes/proxy</c> (or <c>nodes/metrics</c>...) of this node by the
/// <see cref="IKubeletAuthorizer"/> (403 otherwise). Start once, stop once.
/// </summary>
public sealed partial class KubeletServer : IAsyncDisposable
{
    public const int DefaultPort = 10250;

    private readonly KubeletServerOptions _options;
    private readonly IContainerLocator _locator;
    private readonly IStreamingRuntime _runtime;
    private readonly X509Certificate2 _serving;
    private readonly X509Certificate2 _ca;
    private readonly IKubeletAuthorizer _authorizer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KubeletMetrics _metrics;
    private WebApplication? _app;

    /// <param name="registry">Where the kubelet's other metrics are (its <c>/metrics</c> serves them with the server's own); null for none.</param>
    public KubeletServer(KubeletServerOptions options, IContainerLocator locator, CriClient cri, X509Certificate2 serving, X509Certificate2 ca, IKubeletAuthorizer authorizer, ILoggerFactory loggers, TimeProvider? time = null, Prometheus.CollectorRegistry? registry = null)
        : this(options, locator, new CriStreamingRuntime(cri), serving, ca, authorizer, loggers, time, registry)
    {
    }

    public KubeletServer(KubeletServerOptions options, IContainerLocator locator, IStreamingRuntime runtime, X509Certificate2 serving, X509Certificate2 ca, IKubeletAuthorizer authorizer, ILoggerFactory loggers, TimeProvider? time = null, Prometheus.CollectorRegistry? registry = null)
    {
        _options = options;
        _locator = locator;
        _runtime = runtime;
        _serving = serving;
        _ca = ca;
        _authorizer = authorizer;
        _time = time ?? TimeProvider.System;
        _logger = loggers.CreateLogger("kubelet-server");
        _metrics = new KubeletMetrics(locator, registry);
    }

    /// <summary>The port listened on, known once started.</summary>
    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // No reloading of appsettings.json: with it, the host watches its content root (the working directory) and every
        // directory below it through inotify, about a thousand watches from a node's working directory and the whole
        // file system from "/" (docs/adr/0023).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(_options.Address, _options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = _serving,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    // Checked per request against the cluster CA, so that a missing or foreign one is a 401, not a TLS failure.
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                });
            });
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Port = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal)).Port;
        Log.Listening(_logger, _options.Address, Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var route = segments.Length > 0 ? "/" + segments[0] : "/";
        _metrics.Request(context.Request.Method, route, route is "/exec" or "/attach" || context.Request.Query["follow"] == "true");
        try
        {
            var user = KubeletAuth.Authenticate(context.Connection.ClientCertificate, _ca, _time.GetUtcNow());
            if (user is null)
            {
                await TextAsync(context, 401, "Unauthorized");
                return;
            }

            var attributes = KubeletAuth.Attributes(user, context.Request.Method, path, _options.NodeName);
            if (!await _authorizer.AuthorizeAsync(attributes, context.RequestAborted).ConfigureAwait(false))
            {
                Log.Forbidden(_logger, user.Name, attributes.Verb, attributes.Subresource);
                await TextAsync(context, 403, KubeletAuth.ForbiddenMessage(attributes));
                return;
            }

            switch (context.Request.Method, segments)
            {
                case ("GET" or "HEAD", ["healthz"]):
                    await TextAsync(context, 200, "ok");
                    return;
                case ("GET", ["pods"]):
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(KubernetesJson.Serialize(new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta(), Items = [.. _locator.Pods] }), context.RequestAborted).ConfigureAwait(false);
                    return;
                case ("GET", ["metrics"]):
                    context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await _metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
                    return;
                case ("GET", ["containerLogs", var ns, var pod, var container]):
                    await ContainerLogsAsync(context, ns, pod, container);
                    return;
                case ("GET" or "POST", ["exec" or "attach", var ns, var pod, var container]):
                    await StreamAsync(context, segments[0] == "exec", ns, pod, container);
                    return;
                default:
                    await TextAsync(context, 404, "404 page not found");
                    return;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.RequestFailed(_logger, e, context.Request.Method, path);
            if (!context.Response.HasStarted)
            {
                await TextAsync(context, 500, e.Message);
            }
        }
    }

    /// <summary>
    /// Upstream's <c>getContainerLogs</c>: the query is a <c>PodLogOptions</c>; an unknown pod or container is 404;
    /// an invalid option is 422; a container with no (previous) instance is 400; otherwise 200 <c>text/plain</c>
    /// streamed as it is read.
    /// </summary>
    private async Task ContainerLogsAsync(HttpContext context, string ns, string podName, string container)
    {
        var query = context.Request.Query;
        if (!TryLogOptions(query, _time.GetUtcNow(), out var options, out var previous, out var error))
        {
            await TextAsync(context, 422, error!);
            return;
        }

        var pod = _locator.Pods.FirstOrDefault(p => p.Metadata?.NamespaceProperty == ns && p.Metadata.Name == podName);
        if (pod is null)
        {
            await TextAsync(context, 404, $"pod \"{podName}\" does not exist");
            return;
        }

        if (!ContainerNames(pod).Contains(container))
        {
            await TextAsync(context, 404, $"container \"{container}\" not found in pod \"{podName}\"");
            return;
        }

        var location = _locator.Find(ns, podName, container, previous);
        if (location is null)
        {
            await TextAsync(context, 400, previous
                ? $"previous terminated container \"{container}\" in pod \"{podName}\" not found"
                : $"container \"{container}\" in pod \"{podName}\" is waiting to start: ContainerCreating");
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        // A previous instance has stopped for good: following it ends at the end of its file.
        bool StillRunning() => !previous && _locator.Find(ns, podName, container, false) is { Running: true } current && current.ContainerId == location.ContainerId;
        await CriLogReader.CopyAsync(location.LogPath, options, context.Response.Body, StillRunning, _time, context.RequestAborted).ConfigureAwait(false);
    }

    internal static IReadOnlyList<string> ContainerNames(V1Pod pod) =>
        [.. (pod.Spec?.Containers ?? []).Select(c => c.Name), .. (pod.Spec?.InitContainers ?? []).Select(c => c.Name), .. (pod.Spec?.EphemeralContainers ?? []).Select(c => c.Name)];

    /// <summary>Reads upstream's <c>PodLogOptions</c> query parameters and applies <c>ValidatePodLogOptions</c>.</summary>
    internal static bool TryLogOptions(IQueryCollection query, DateTimeOffset now, out CriLogOptions options, out bool previous, out string? error)
    {
        options = new CriLogOptions();
        previous = false;
        error = null;
        bool Flag(string name) => query[name].ToString() is "true" or "1" or "True";
        long? Number(string name, ref string? failure)
        {
            var text = query[name].ToString();
            if (text.Length == 0)
            {
                return null;
            }

            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                failure = $"{name}: Invalid value: \"{text}\": must be an integer";
                return null;
            }

            return value;
        }

        var tail = Number("tailLines", ref error);
        var limit = Number("limitBytes", ref error);
        var sinceSeconds = Number("sinceSeconds", ref error);
        if (error is not null)
        {
            return false;
        }

        DateTimeOffset? since = null;
        if (query["sinceTime"].ToString() is { Length: > 0 } sinceTime)
        {
            if (!DateTimeOffset.TryParse(sinceTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                error = $"sinceTime: Invalid value: \"{sinceTime}\": must be an RFC3339 time";
                return false;
            }

            since = parsed;
        }

        // Upstream's ValidatePodLogOptions.
        if (tail < 0)
        {
            error = "tailLines: Invalid value: " + tail + ": must be greater than or equal to 0";
        }
        else if (limit < 1)
        {
            error = "limitBytes: Invalid value: " + limit + ": must be greater than 0";
        }
        else if (sinceSeconds is not null && since is not null)
        {
            error = "sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified";
        }
        else if (sinceSeconds < 1)
        {
            error = "sinceSeconds: Invalid value: " + sinceSeconds + ": must be greater than 0";
        }

        if (error is not null)
        {
            return false;
        }

        if (sinceSeconds is { } seconds)
        {
            since = now - TimeSpan.FromSeconds(seconds);
        }

        previous = Flag("previous");
        options = new CriLogOptions(Flag("follow") && !previous, tail, since, Flag("timestamps"), limit);
        return true;
    }

    private static async Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text + (status >= 400 ? "\n" : ""), context.RequestAborted).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Kubelet server listening on {Address}:{Port}")]
        public static partial void Listening(ILogger logger, IPAddress address, int port);

        [LoggerMessage(Level = LogLevel.Information, Message = "Forbidden: user={User} verb={Verb} subresource={Subresource}")]
        public static partial void Forbidden(ILogger logger, string user, string verb, string subresource);

        [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
        public static partial void RequestFailed(ILogger logger, Exception exception, string method, string path);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation} in {Namespace}/{Pod}/{Container} failed")]
        public static partial void StreamFailed(ILogger logger, Exception exception, string operation, string @namespace, string pod, string container);
    }
}
