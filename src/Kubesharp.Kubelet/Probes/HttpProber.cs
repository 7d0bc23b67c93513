using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s.Models;

namespace Kubesharp.Kubelet.Probes;

/// <summary>What one GET (after any redirects it followed) gave: a status and up to 10 KB of body, or Go's error text.</summary>
internal sealed record HttpExchange(int StatusCode, string Body, string? Error, bool SecureConnectionFailed = false);

/// <summary>
/// The GET that httpGet probes and hooks send, as upstream's <c>pkg/probe/http</c> does: no proxy, no compression,
/// TLS without verification (there is nothing to verify a pod's certificate against), redirects followed only while
/// they stay on the first request's host (at most 10), and at most 10 KB of the body read. Thread-safe; one
/// connection per request (upstream disables keep-alives).
/// </summary>
internal sealed class HttpProber : IDisposable
{
    public const int MaxBodyLength = 10 * 1024;
    private const int MaxRedirects = 10;

    // Upstream's user agent is kube-probe/<major>.<minor> (kube-lifecycle/... for hooks) of the kubelet's version.
    public const string KubernetesVersion = "1.32";

    private readonly HttpMessageInvoker _client;
    private readonly TimeProvider _time;

    public HttpProber(TimeProvider time)
    {
        _time = time;
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.Zero,
            // Upstream probes (and hooks) skip TLS verification: there is nothing to verify a pod's certificate against.
#pragma warning disable CA5359
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
#pragma warning restore CA5359
        });
    }

    /// <summary>
    /// Upstream's <c>GetProbeUrl</c>: scheme (lower case, default http), host (default the pod IP), the resolved port,
    /// and the path (which may carry a query).
    /// </summary>
    public static (Uri? Url, string? Error) BuildUrl(V1HTTPGetAction action, V1Container container, string? podIp)
    {
        var scheme = string.IsNullOrEmpty(action.Scheme) ? "http" : action.Scheme.ToLowerInvariant();
        var host = string.IsNullOrEmpty(action.Host) ? podIp : action.Host;
        if (string.IsNullOrEmpty(host))
        {
            return (null, "the pod has no IP address yet");
        }

        var (port, portError) = ProbeTargets.ResolvePort(action.Port, container);
        if (portError is not null)
        {
            return (null, portError);
        }

        var path = action.Path ?? "";
        if (path.Length > 0 && path[0] != '/')
        {
            path = "/" + path;
        }

        var text = $"{scheme}://{ProbeTargets.JoinHostPort(host, port)}{path}";
        return Uri.TryCreate(text, UriKind.Absolute, out var url) ? (url, null) : (null, $"parse \"{text}\": invalid URL");
    }

    /// <summary>
    /// GETs <paramref name="url"/> with the action's headers plus upstream's defaults (User-Agent
    /// <c>kube-&lt;purpose&gt;/1.32</c> and Accept <c>*/*</c> unless given; an empty Accept removes it; a Host header sets
    /// the request's host), bounded by <paramref name="timeout"/> (infinite for none) measured on the time provider.
    /// </summary>
    public async Task<HttpExchange> GetAsync(Uri url, IList<V1HTTPHeader>? headers, string purpose, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = timeout == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var current = url;
        var hostHeader = headers?.FirstOrDefault(h => string.Equals(h.Name, "Host", StringComparison.OrdinalIgnoreCase))?.Value;
        var awaitingHeaders = true;
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                awaitingHeaders = true;
                using var request = NewRequest(current, headers, hostHeader, purpose);
                using var response = await _client.SendAsync(request, linked.Token).ConfigureAwait(false);
                awaitingHeaders = false;
                var status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location && status != 304)
                {
                    var target = location.IsAbsoluteUri ? location : new Uri(current, location);
                    // Upstream follows a redirect only to the first request's host; otherwise the 3xx is the answer.
                    if (string.Equals(target.Host, url.Host, StringComparison.OrdinalIgnoreCase))
                    {
                        if (redirects + 1 >= MaxRedirects)
                        {
                            return new HttpExchange(0, "", $"Get \"{target}\": stopped after {MaxRedirects} redirects");
                        }

                        // Go keeps a custom Host header through a redirect only when the location is relative.
                        if (location.IsAbsoluteUri)
                        {
                            hostHeader = null;
                        }

                        current = target;
                        continue;
                    }
                }

                var body = await ReadAtMostAsync(response, linked.Token).ConfigureAwait(false);
                return new HttpExchange(status, body, null);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeoutSource.IsCancellationRequested)
        {
            var phase = awaitingHeaders ? "Client.Timeout exceeded while awaiting headers" : "Client.Timeout or context cancellation while reading body";
            return new HttpExchange(0, "", $"Get \"{current}\": context deadline exceeded ({phase})");
        }
        catch (HttpRequestException e)
        {
            var secure = e.HttpRequestError == HttpRequestError.SecureConnectionError;
            var detail = e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError
                ? ProbeTargets.DialError($"{current.Host}:{current.Port}", e)
                : secure ? "http: server gave HTTP response to HTTPS client" : e.Message;
            return new HttpExchange(0, "", $"Get \"{current}\": {detail}", secure);
        }
    }

    private static HttpRequestMessage NewRequest(Uri url, IList<V1HTTPHeader>? headers, string? hostHeader, string purpose)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url) { Version = HttpVersion.Version11 };
        request.Headers.ConnectionClose = true;
        var hasUserAgent = false;
        var accept = (List<string>?)null;
        foreach (var header in headers ?? [])
        {
            if (string.IsNullOrEmpty(header.Name) || string.Equals(header.Name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (string.Equals(header.Name, "Accept", StringComparison.OrdinalIgnoreCase))
            {
                (accept ??= []).Add(header.Value ?? "");
                continue;
            }

            hasUserAgent |= string.Equals(header.Name, "User-Agent", StringComparison.OrdinalIgnoreCase);
            request.Headers.TryAddWithoutValidation(header.Name, header.Value ?? "");
        }

        if (!hasUserAgent)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", $"kube-{purpose}/{KubernetesVersion}");
        }

        if (accept is null)
        {
            request.Headers.TryAddWithoutValidation("Accept", "*/*");
        }
        else if (accept[0].Length > 0)
        {
            // Upstream drops Accept when its first value is empty (an explicit "no Accept").
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        if (!string.IsNullOrEmpty(hostHeader))
        {
            request.Headers.Host = hostHeader;
        }

        return request;
    }

    private static async Task<string> ReadAtMostAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxBodyLength];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return Encoding.UTF8.GetString(buffer, 0, read);
        }
    }

    public void Dispose() => _client.Dispose();
}
