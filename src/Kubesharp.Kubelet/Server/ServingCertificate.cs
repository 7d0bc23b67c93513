using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Server;

/// <summary>
/// The kubelet's serving certificate, from the cluster CA through the certificates API (upstream's
/// <c>--rotate-server-certificates</c> path): a new ECDSA P-256 key, a CSR for signer <c>kubernetes.io/kubelet-serving</c>
/// with CN <c>system:node:NAME</c>, O <c>system:nodes</c>, the node's IPs and host names as subject alternative names
/// and usages digital signature, key encipherment and server auth; then it waits for the certificate to be issued (the
/// controller manager approves a node's own request and signs it). Key and certificate are kept as
/// <c>kubelet-server.key</c>/<c>.crt</c> in the given directory and reused while they are valid for another day and
/// cover the same names. When no certificate arrives in time (or the request is denied or fails), a self-signed one is
/// made, as upstream's kubelet does without one, and that is logged; the API server accepts it (it does not verify
/// kubelets by default).
/// </summary>
public static partial class ServingCertificate
{
    public const string SignerName = "kubernetes.io/kubelet-serving";

    /// <summary>Creates a CSR (returns its name) and reads one back; both through the API.</summary>
    public interface ICsrClient
    {
        Task<string> CreateAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken);

        Task<V1CertificateSigningRequest?> ReadAsync(string name, CancellationToken cancellationToken);
    }

    /// <summary>The certificates API through the client library.</summary>
    public sealed class KubernetesCsrClient(IKubernetes client) : ICsrClient
    {
        public async Task<string> CreateAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken) =>
            (await client.CertificatesV1.CreateCertificateSigningRequestAsync(csr, cancellationToken: cancellationToken).ConfigureAwait(false)).Metadata.Name;

        public async Task<V1CertificateSigningRequest?> ReadAsync(string name, CancellationToken cancellationToken) =>
            await client.CertificatesV1.ReadCertificateSigningRequestAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public static async Task<X509Certificate2> LoadOrRequestAsync(ICsrClient csrs, string nodeName, IReadOnlyList<IPAddress> addresses, IReadOnlyList<string> hostNames, string directory, TimeSpan wait, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, "kubelet-server.crt");
        var keyPath = Path.Combine(directory, "kubelet-server.key");
        var now = time.GetUtcNow();
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (existing.NotAfter.ToUniversalTime() > now.UtcDateTime.AddDays(1) && Covers(existing, addresses, hostNames))
            {
                return Reloaded(existing);
            }

            existing.Dispose();
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"O=system:nodes, CN=system:node:{nodeName}"), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hostNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            names.AddDnsName(host);
        }

        foreach (var address in addresses.Distinct())
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        string? certificatePem = null;
        try
        {
            var name = await csrs.CreateAsync(new V1CertificateSigningRequest
            {
                ApiVersion = "certificates.k8s.io/v1",
                Kind = "CertificateSigningRequest",
                Metadata = new V1ObjectMeta { GenerateName = "csr-" },
                Spec = new V1CertificateSigningRequestSpec
                {
                    Request = Encoding.ASCII.GetBytes(PemEncoding.WriteString("CERTIFICATE REQUEST", request.CreateSigningRequest())),
                    SignerName = SignerName,
                    Usages = ["digital signature", "key encipherment", "server auth"],
                },
            }, cancellationToken).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(wait);
            while (certificatePem is null)
            {
                var csr = await csrs.ReadAsync(name, timeout.Token).ConfigureAwait(false);
                if (csr?.Status?.Conditions?.FirstOrDefault(c => c.Type is "Denied" or "Failed") is { } refused)
                {
                    Log.Refused(logger, name, refused.Type, refused.Message ?? "");
                    break;
                }

                if (csr?.Status?.Certificate is { Length: > 0 } issued)
                {
                    certificatePem = Encoding.ASCII.GetString(issued);
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), time, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.TimedOut(logger, wait);
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            Log.RequestFailed(logger, e);
        }

        X509Certificate2 certificate;
        if (certificatePem is not null)
        {
            using var issued = X509Certificate2.CreateFromPem(certificatePem);
            certificate = issued.CopyWithPrivateKey(key);
        }
        else
        {
            // Upstream's kubelet without a signed certificate: a self-signed one for its names.
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
            Log.SelfSigned(logger, nodeName);
        }

        var keyPem = key.ExportPkcs8PrivateKeyPem();
        await WriteAsync(keyPath, keyPem, cancellationToken).ConfigureAwait(false);
        await WriteAsync(certPath, certificate.ExportCertificatePem() + "\n", cancellationToken).ConfigureAwait(false);
        return Reloaded(certificate);
    }

    /// <summary>Whether a certificate names every address and host name asked for.</summary>
    internal static bool Covers(X509Certificate2 certificate, IReadOnlyList<IPAddress> addresses, IReadOnlyList<string> hostNames)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var ips = san.EnumerateIPAddresses().ToHashSet();
        var dns = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        return addresses.All(ips.Contains) && hostNames.All(dns.Contains);
    }

    // Kestrel on Linux needs a certificate whose key it can use for TLS: an ephemeral key from PEM works; a PKCS#12
    // round trip gives one that SslStream accepts everywhere.
    private static X509Certificate2 Reloaded(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static async Task WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, content, cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "No kubelet serving certificate was issued within {Wait}; using a self-signed one")]
        public static partial void TimedOut(ILogger logger, TimeSpan wait);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The kubelet serving certificate request {Name} was {Outcome}: {Message}")]
        public static partial void Refused(ILogger logger, string name, string outcome, string message);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not request a kubelet serving certificate")]
        public static partial void RequestFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Serving the kubelet API of node {Node} with a self-signed certificate")]
        public static partial void SelfSigned(ILogger logger, string node);
    }
}
