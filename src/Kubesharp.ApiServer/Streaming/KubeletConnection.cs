using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using k8s.Models;
using Kubesharp.Api.Errors;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Streaming;

/// <summary>
/// How the API server reaches a node's kubelet: <c>https://ADDRESS:PORT</c> with the address from the Node's
/// <c>status.addresses</c> (InternalIP first, then Hostname, then ExternalIP, as upstream's default
/// <c>--kubelet-preferred-address-types</c> less the cloud-only ones) and the port from
/// <c>status.daemonEndpoints.kubeletEndpoint.Port</c> (10250 when unset). It presents the kubelet client certificate.
/// The kubelet's serving certificate is accepted whether or not it chains to the cluster CA — upstream's behaviour
/// without <c>--kubelet-certificate-authority</c>, needed because a kubelet falls back to a self-signed certificate
/// when no signed one arrives; one that does not chain is logged (once per certificate). One shared handler; thread-safe.
/// </summary>
internal sealed partial class KubeletConnection : IDisposable
{
    public const int DefaultPort = 10250;

    private readonly X509Certificate2 _ca;
    private readonly ILogger _logger;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public KubeletConnection(X509Certificate2 clientCertificate, X509Certificate2 ca, ILogger logger)
    {
        _ca = ca;
        _logger = logger;
        Handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = Validate,
            },
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        Http = new HttpClient(Handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public SocketsHttpHandler Handler { get; }

    public HttpClient Http { get; }

    /// <summary>The kubelet's base URL for a node, or a 400/500 Status that says why there is none.</summary>
    public static Uri BaseUrl(V1Node node)
    {
        var addresses = node.Status?.Addresses ?? [];
        string? host = null;
        foreach (var type in (ReadOnlySpan<string>)["InternalIP", "Hostname", "ExternalIP"])
        {
            host = addresses.FirstOrDefault(a => a.Type == type && !string.IsNullOrEmpty(a.Address))?.Address;
            if (host is not null)
            {
                break;
            }
        }

        if (host is null)
        {
            throw StatusException.Internal($"no preferred addresses found; known addresses: [{string.Join(" ", addresses.Select(a => $"{{{a.Type} {a.Address}}}"))}]");
        }

        var port = node.Status?.DaemonEndpoints?.KubeletEndpoint?.Port is { } p and > 0 ? p : DefaultPort;
        if (IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            host = $"[{host}]";
        }

        return new Uri($"https://{host}:{port}");
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(_ca);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        if (!custom.Build(presented))
        {
            lock (_reported)
            {
                if (_reported.Add(presented.Thumbprint))
                {
                    Log.Unverified(_logger, presented.Subject);
                }
            }
        }

        return true;
    }

    public void Dispose()
    {
        Http.Dispose();
        Handler.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "The kubelet's serving certificate {Subject} does not chain to the cluster CA; accepted as upstream does without --kubelet-certificate-authority")]
        public static partial void Unverified(ILogger logger, string subject);
    }
}
