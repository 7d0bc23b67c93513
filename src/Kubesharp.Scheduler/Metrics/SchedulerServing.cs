using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Scheduler.Metrics;

/// <summary>
/// The scheduler's own HTTP endpoint (upstream serves it on :10259): <c>/metrics</c> in Prometheus text format and
/// <c>/healthz</c>, <c>/livez</c>, <c>/readyz</c> answering <c>ok</c>. Plain HTTP without authentication, unlike
/// upstream's HTTPS with delegated authentication and authorization: callers bind it to loopback unless told
/// otherwise. Start with <see cref="StartAsync"/>; dispose to stop.
/// </summary>
public sealed class SchedulerServing : IAsyncDisposable
{
    public const int DefaultPort = 10259;

    private readonly WebApplication _app;

    private SchedulerServing(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Where it listens (the port resolved when 0 was asked for).</summary>
    public Uri Url { get; }

    /// <summary>Listens on <paramref name="bindAddress"/>:<paramref name="port"/>; an address in use surfaces as an <see cref="IOException"/>.</summary>
    public static async Task<SchedulerServing> StartAsync(string bindAddress, int port, SchedulerMetrics metrics, CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(bindAddress);
        // No reloading of appsettings.json: with it, the host watches its content root (the working directory) and every
        // directory below it through inotify, about a thousand watches from a node's working directory and the whole
        // file system from "/" (docs/adr/0023).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port));
        var app = builder.Build();
        app.Run(context => HandleAsync(context, metrics));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var bound = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal)).Port;
        var host = address.Equals(IPAddress.Any) ? "127.0.0.1" : address.Equals(IPAddress.IPv6Any) ? "[::1]" : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return new SchedulerServing(app, new Uri($"http://{host}:{bound}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task HandleAsync(HttpContext context, SchedulerMetrics metrics)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        switch (context.Request.Path.Value)
        {
            case "/metrics":
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await metrics.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
                break;
            case "/healthz" or "/livez" or "/readyz":
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("ok", context.RequestAborted).ConfigureAwait(false);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }
}
