using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Proxy.Proxier;

/// <summary>
/// One of kube-proxy's plain HTTP endpoints (upstream: <c>/healthz</c> on :10256, <c>/metrics</c> on :10249, both
/// bound to loopback here by default). Start with <see cref="StartAsync"/>; dispose to stop.
/// </summary>
public sealed class ProxyServing : IAsyncDisposable
{
    public const int DefaultHealthzPort = 10256;
    public const int DefaultMetricsPort = 10249;

    private readonly WebApplication _app;

    private ProxyServing(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Where it listens.</summary>
    public Uri Url { get; }

    /// <summary>Serves <paramref name="handle"/> on <paramref name="bindAddress"/>:<paramref name="port"/>; an address in use surfaces as an <see cref="IOException"/>.</summary>
    public static async Task<ProxyServing> StartAsync(string bindAddress, int port, RequestDelegate handle, CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(bindAddress);
        // No reloading of appsettings.json: with it, the host watches its content root (the working directory) and every
        // directory below it through inotify, about a thousand watches from a node's working directory and the whole
        // file system from "/" (docs/adr/0023).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port));
        var app = builder.Build();
        app.Run(handle);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var bound = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        var host = address.Equals(IPAddress.Any) ? "127.0.0.1" : address.ToString();
        return new ProxyServing(app, new Uri($"http://{host}:{bound}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
