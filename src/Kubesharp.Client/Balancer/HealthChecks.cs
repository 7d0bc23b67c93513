using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;

namespace Kubesharp.Client.Balancer;

/// <summary>
/// Whether the server at a <c>host:port</c> address can take connections now. Contract: returns false (never throws)
/// for any failure, including the token's end; the balancer bounds each call with its own timeout.
/// </summary>
public delegate Task<bool> ServerHealthCheck(string address, CancellationToken cancellationToken);

/// <summary>The checks an agent uses: a TCP connect before it has credentials, then <c>GET /readyz</c> with them.</summary>
public static class HealthChecks
{
    /// <summary>Up when a TCP connection opens.</summary>
    public static async Task<bool> TcpConnectAsync(string address, CancellationToken cancellationToken)
    {
        var (host, port) = ServerAddress.Split(address);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>
/// Up when <c>GET https://ADDRESS/readyz</c> answers 200, over TLS with the node's client certificate, the server's
/// certificate checked against the cluster CA (its name is not: the address may be one the server's certificate does
/// not list, and the CA chain is what says the server is one of ours). The same request an operator would make
/// to see whether that API server serves. Owns an <see cref="HttpClient"/>: dispose it.
/// </summary>
public sealed class ReadyzHealthCheck : IDisposable
{
    private readonly HttpClient _http;

    public ReadyzHealthCheck(X509Certificate2Collection clusterCa, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => IssuedBy(certificate, clusterCa),
            },
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>With a kubeconfig's cluster CA and client certificate (data or files; none, or unreadable: the check goes without).</summary>
    public static ReadyzHealthCheck For(KubernetesClientConfiguration config) => new(config.SslCaCerts ?? [], ClientCertificate(config));

    public async Task<bool> CheckAsync(string address, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri($"https://{address}/readyz"), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();

    private static X509Certificate2? ClientCertificate(KubernetesClientConfiguration config)
    {
        try
        {
            var certificate = config.ClientCertificateData is { } data ? Encoding.ASCII.GetString(Convert.FromBase64String(data))
                : config.ClientCertificateFilePath is { } file ? File.ReadAllText(file) : null;
            var key = config.ClientCertificateKeyData is { } keyData ? Encoding.ASCII.GetString(Convert.FromBase64String(keyData))
                : config.ClientKeyFilePath is { } keyFile ? File.ReadAllText(keyFile) : null;
            return certificate is null || key is null ? null : X509Certificate2.CreateFromPem(certificate, key);
        }
        catch (Exception e) when (e is IOException or FormatException or CryptographicException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IssuedBy(X509Certificate? certificate, X509Certificate2Collection ca)
    {
        if (certificate is null || ca.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
