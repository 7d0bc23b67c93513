using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Client;
using Kubesharp.Kubelet.Server;

namespace Kubesharp.Kubelet.Bootstrap;

/// <summary>A TLS bootstrap that cannot go on; the message says why, for the person running the agent.</summary>
public sealed class TlsBootstrapException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Where the bootstrap left the node's kubeconfig, and whether it was already there.</summary>
public sealed record TlsBootstrapResult(string KubeconfigPath, bool Reused, string? CsrName);

/// <summary>
/// A node joining with a bootstrap token (<c>kubesharp agent --token</c>), as upstream's kubelet does with a bootstrap
/// kubeconfig (<c>pkg/kubelet/certificate/bootstrap</c>), preceded by kubeadm's token discovery of the cluster CA
/// (<c>cmd/kubeadm/app/discovery/token</c>), since the agent starts with only a server URL and a token:
/// <list type="number">
/// <item><c>&lt;dir&gt;/kubelet.kubeconfig</c> is reused when its client certificate is for <c>system:node:NAME</c>,
/// is valid now, and the kubeconfig names the same server.</item>
/// <item>Otherwise the CA: <c>kube-public/cluster-info</c> is read anonymously without checking the server's
/// certificate (the token is not sent there); its <c>jws-kubeconfig-&lt;token-id&gt;</c> signature (HS256 keyed by the
/// token secret) must verify, which proves the CA comes from someone who knows the token; when CA hashes
/// (<c>sha256:&lt;hex of the SubjectPublicKeyInfo&gt;</c>, kubeadm's <c>--discovery-token-ca-cert-hash</c>) are given,
/// the CA's public key must also match one of them.</item>
/// <item>Then, trusting that CA and authenticated by the token, a new ECDSA P-256 key and a CertificateSigningRequest
/// (<c>node-csr-</c> generated name, signer <c>kubernetes.io/kube-apiserver-client-kubelet</c>, usages digital
/// signature and client auth, subject CN <c>system:node:NAME</c>, O <c>system:nodes</c>); the controller manager
/// approves it (kubeadm's bindings let the node token's group ask for node client certificates) and signs it. It is
/// polled until issued, refused (Denied or Failed: an error with its reason) or the wait runs out (an error).</item>
/// <item>The kubeconfig is written (0600, atomically) with the server URL, the CA and the issued certificate and key
/// embedded.</item>
/// </list>
/// </summary>
public static partial class TlsBootstrap
{
    public const string SignerName = "kubernetes.io/kube-apiserver-client-kubelet";
    public const string KubeconfigFileName = "kubelet.kubeconfig";
    public const string ClusterInfoPath = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
    public const string JwsKeyPrefix = "jws-kubeconfig-";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs the bootstrap (or reuses its result); <paramref name="progress"/> hears what it does.</summary>
    public static async Task<TlsBootstrapResult> BootstrapAsync(
        string server,
        string token,
        string nodeName,
        string directory,
        IReadOnlyList<string> caCertHashes,
        TimeSpan wait,
        Action<string>? progress,
        CancellationToken cancellationToken)
    {
        server = server.TrimEnd('/');
        var match = TokenShape().Match(token.Trim());
        if (!match.Success)
        {
            throw new TlsBootstrapException("the token is not a bootstrap token: expected <id>.<secret> ([a-z0-9]{6}.[a-z0-9]{16}), as the server writes to <data-dir>/node-token");
        }

        var (tokenId, tokenSecret) = (match.Groups[1].Value, match.Groups[2].Value);
        var pins = caCertHashes.Select(ParsePin).ToList();
        var path = Path.Combine(directory, KubeconfigFileName);
        if (IsStillValid(path, server, nodeName))
        {
            return new TlsBootstrapResult(path, true, null);
        }

        var ca = await DiscoverCaAsync(server, tokenId, tokenSecret, pins, cancellationToken).ConfigureAwait(false);
        progress?.Invoke("requesting a node certificate...");
        var config = new KubernetesClientConfiguration { Host = server, AccessToken = token.Trim(), SslCaCerts = ca };
        using var client = new Kubernetes(config);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (csrName, certificatePem) = await RequestAsync(new ServingCertificate.KubernetesCsrClient(client), key, nodeName, wait, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(directory);
        WriteKubeconfig(path, server, ca, certificatePem, key.ExportPkcs8PrivateKeyPem());
        return new TlsBootstrapResult(path, false, csrName);
    }

    /// <summary>
    /// Whether a kubeconfig at <paramref name="path"/> can be used as is: same server, and a client certificate for
    /// <c>system:node:NAME</c> with its key, valid now (upstream's <c>isClientConfigStillValid</c>).
    /// </summary>
    internal static bool IsStillValid(string path, string server, string nodeName)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            var config = Kubeconfig.Load(path);
            var context = config.Contexts?.FirstOrDefault(c => c.Name == config.CurrentContext)?.ContextDetails;
            var cluster = config.Clusters?.FirstOrDefault(c => c.Name == context?.Cluster)?.ClusterEndpoint;
            var user = config.Users?.FirstOrDefault(u => u.Name == context?.User)?.UserCredentials;
            if (cluster?.Server?.TrimEnd('/') != server || user?.ClientCertificateData is not { } certData || user.ClientKeyData is not { } keyData)
            {
                return false;
            }

            using var certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(certData)), Encoding.ASCII.GetString(Convert.FromBase64String(keyData)));
            var now = DateTime.UtcNow;
            return certificate.GetNameInfo(X509NameType.SimpleName, false) == "system:node:" + nodeName
                && certificate.NotBefore.ToUniversalTime() <= now && now < certificate.NotAfter.ToUniversalTime();
        }
        catch (Exception e) when (e is IOException or FormatException or CryptographicException or ArgumentException or k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException)
        {
            return false;
        }
    }

    /// <summary>The SHA-256 pin of a certificate's public key, as kubeadm prints it: <c>sha256:&lt;hex&gt;</c>.</summary>
    public static string CaCertHash(X509Certificate2 certificate) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

    /// <summary>kubeadm's token discovery: the CA from cluster-info, once its signature for this token verifies.</summary>
    internal static async Task<X509Certificate2Collection> DiscoverCaAsync(string server, string tokenId, string tokenSecret, IReadOnlyList<string> pins, CancellationToken cancellationToken)
    {
        string body;
        // Not verified on purpose: nothing secret is sent, and what comes back is checked by its signature.
        using (var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        using (var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) })
        {
            HttpResponseMessage response;
            try
            {
                response = await http.GetAsync(new Uri(server + ClusterInfoPath), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TlsBootstrapException($"could not reach the API server at {server}: {e.Message}", e);
            }

            using (response)
            {
                body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new TlsBootstrapException($"could not read the cluster-info ConfigMap in kube-public from {server}: {(int)response.StatusCode} {response.ReasonPhrase}");
                }
            }
        }

        Dictionary<string, string> data;
        try
        {
            data = KubernetesJson.Deserialize<V1ConfigMap>(body).Data is { } d ? new Dictionary<string, string>(d, StringComparer.Ordinal) : [];
        }
        catch (JsonException e)
        {
            throw new TlsBootstrapException($"the cluster-info ConfigMap from {server} is not readable: {e.Message}", e);
        }

        if (!data.TryGetValue("kubeconfig", out var kubeconfig))
        {
            throw new TlsBootstrapException("the cluster-info ConfigMap has no kubeconfig");
        }

        if (!data.TryGetValue(JwsKeyPrefix + tokenId, out var signature))
        {
            throw new TlsBootstrapException($"there is no JWS signed token in the cluster-info ConfigMap. This token id \"{tokenId}\" is invalid for this cluster, can't connect");
        }

        if (!VerifyDetachedJws(signature, kubeconfig, tokenId, tokenSecret))
        {
            throw new TlsBootstrapException("failed to verify JWS signature of received cluster info object, can't trust this API Server (is the token right?)");
        }

        var ca = new X509Certificate2Collection();
        try
        {
            var config = Kubeconfig.Parse(kubeconfig);
            var data64 = config.Clusters?.FirstOrDefault()?.ClusterEndpoint?.CertificateAuthorityData
                ?? throw new TlsBootstrapException("the cluster-info kubeconfig has no certificate-authority-data");
            ca.ImportFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(data64)));
        }
        catch (Exception e) when (e is FormatException or CryptographicException or YamlDotNet.Core.YamlException)
        {
            throw new TlsBootstrapException($"the cluster-info kubeconfig has no readable CA: {e.Message}", e);
        }

        if (ca.Count == 0)
        {
            throw new TlsBootstrapException("the cluster-info kubeconfig has no CA certificate");
        }

        if (pins.Count > 0 && !ca.Any(c => pins.Contains(CaCertHash(c), StringComparer.Ordinal)))
        {
            throw new TlsBootstrapException($"cluster CA found in cluster-info ConfigMap is invalid: none of the public keys \"{string.Join(",", ca.Select(CaCertHash))}\" are pinned");
        }

        return ca;
    }

    /// <summary>
    /// Checks <c>header..signature</c> over <paramref name="content"/>: alg HS256, kid the token id, and the HMAC
    /// keyed by the token secret (upstream's <c>jws.DetachedTokenIsValid</c>).
    /// </summary>
    internal static bool VerifyDetachedJws(string detached, string content, string tokenId, string tokenSecret)
    {
        var parts = detached.Split('.');
        if (parts is not [var header, "", var signature])
        {
            return false;
        }

        try
        {
            using var json = JsonDocument.Parse(FromBase64Url(header));
            if (!json.RootElement.TryGetProperty("alg", out var alg) || alg.GetString() != "HS256"
                || !json.RootElement.TryGetProperty("kid", out var kid) || kid.GetString() != tokenId)
            {
                return false;
            }

            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(tokenSecret), Encoding.ASCII.GetBytes(header + "." + ToBase64Url(Encoding.UTF8.GetBytes(content))));
            return CryptographicOperations.FixedTimeEquals(expected, FromBase64Url(signature));
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<(string Name, string CertificatePem)> RequestAsync(ServingCertificate.KubernetesCsrClient csrs, ECDsa key, string nodeName, TimeSpan wait, CancellationToken cancellationToken)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("system:nodes");
        subject.AddCommonName("system:node:" + nodeName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        string name;
        try
        {
            name = await csrs.CreateAsync(new V1CertificateSigningRequest
            {
                ApiVersion = "certificates.k8s.io/v1",
                Kind = "CertificateSigningRequest",
                Metadata = new V1ObjectMeta { GenerateName = "node-csr-" },
                Spec = new V1CertificateSigningRequestSpec
                {
                    Request = Encoding.ASCII.GetBytes(request.CreateSigningRequestPem()),
                    SignerName = SignerName,
                    Usages = ["digital signature", "client auth"],
                },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new TlsBootstrapException("the API server refused the bootstrap token (401 Unauthorized): it is unknown, expired or not for authentication", e);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new TlsBootstrapException($"the bootstrap token may not create certificate signing requests (403 Forbidden): {e.Response.Content}", e);
        }
        catch (HttpOperationException e)
        {
            throw new TlsBootstrapException($"could not create a certificate signing request: {(int)e.Response.StatusCode} {e.Response.Content}", e);
        }
        catch (HttpRequestException e)
        {
            throw new TlsBootstrapException($"could not create a certificate signing request: {e.Message}", e);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            while (true)
            {
                V1CertificateSigningRequest? csr = null;
                try
                {
                    csr = await csrs.ReadAsync(name, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException)
                {
                    // Transient: the server restarting; the wait bounds it.
                }

                if (csr?.Status?.Conditions?.FirstOrDefault(c => c.Type is "Denied" or "Failed" && c.Status != "False") is { } refused)
                {
                    var outcome = refused.Type == "Denied" ? "denied" : "failed";
                    throw new TlsBootstrapException($"certificate signing request {name} was {outcome}: {refused.Reason} {refused.Message}".TrimEnd());
                }

                if (csr?.Status?.Certificate is { Length: > 0 } issued)
                {
                    return (name, Encoding.ASCII.GetString(issued));
                }

                await Task.Delay(PollInterval, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TlsBootstrapException($"no certificate was issued for certificate signing request {name} within {wait.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s: is the controller manager running (it approves and signs node client requests)?");
        }
    }

    // The names upstream's kubelet gives the kubeconfig it writes after its bootstrap.
    private static void WriteKubeconfig(string path, string server, X509Certificate2Collection ca, string certificatePem, string keyPem)
    {
        var caPem = string.Concat(ca.Select(c => c.ExportCertificatePem() + "\n"));
        var content = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: default-cluster
              cluster:
                server: {server}
                certificate-authority-data: {B64(caPem)}
            users:
            - name: default-auth
              user:
                client-certificate-data: {B64(certificatePem)}
                client-key-data: {B64(keyPem)}
            contexts:
            - name: default-context
              context:
                cluster: default-cluster
                user: default-auth
                namespace: default
            current-context: default-context

            """;
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, content);
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
    }

    private static string ParsePin(string pin)
    {
        var match = PinShape().Match(pin.Trim());
        return match.Success
            ? "sha256:" + match.Groups[1].Value.ToLowerInvariant()
            : throw new TlsBootstrapException($"invalid CA certificate hash \"{pin}\": expected sha256:<64 hex digits> (the SHA-256 of the CA's SubjectPublicKeyInfo)");
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));

    private static string ToBase64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    [GeneratedRegex(@"\A([a-z0-9]{6})\.([a-z0-9]{16})\z", RegexOptions.CultureInvariant)]
    private static partial Regex TokenShape();

    [GeneratedRegex(@"\Asha256:([0-9a-fA-F]{64})\z", RegexOptions.CultureInvariant)]
    private static partial Regex PinShape();
}
