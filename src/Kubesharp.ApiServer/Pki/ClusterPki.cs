using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kubesharp.Api.Certificates;

namespace Kubesharp.ApiServer.Pki;

/// <summary>
/// The cluster's certificates under <c>&lt;data-dir&gt;/tls/</c>: a CA, the API server's serving
/// certificate, and the admin client certificate (group <c>system:masters</c>). Created on the first
/// start, reused afterwards; a serving certificate that does not cover the current addresses is
/// re-issued from the same CA, so existing kubeconfigs stay valid. It also issues client certificates
/// (for components, and for nodes' signing requests) from the same CA: the client certificate
/// authenticator takes CN as the user and each O as a group. Thread-safe.
/// </summary>
/// <remarks>
/// Lifetimes as k3s: the CA 10 years, leaf certificates 1 year. Every leaf this class keeps under <c>tls/</c> (serving,
/// admin, component and kubelet-client certificates) is re-issued from the same CA when it is loaded within
/// <see cref="RenewBefore"/> of its expiry, which k3s does at each start; <c>kubesharp certificate rotate</c>
/// (<see cref="RotateLeaves"/>) re-issues them all at once. The CA itself is never renewed here.
/// </remarks>
public sealed partial class ClusterPki
{
    private const string AdminUser = "system:admin";
    private const string MastersGroup = "system:masters";

    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>A leaf certificate expiring within this is re-issued when loaded (k3s: 90 days, at start).</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(90);

    private readonly TimeProvider _time;
    private readonly CertificateAuthority _authority;

    private ClusterPki(X509Certificate2 ca, X509Certificate2 serving, X509Certificate2 admin, string directory, TimeProvider time)
    {
        _time = time;
        _authority = new CertificateAuthority(ca);
        Ca = ca;
        Serving = serving;
        Admin = admin;
        Directory = directory;
    }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The serving certificate (with key) for localhost, 127.0.0.1, the bind address, the host name and the kubernetes service address.</summary>
    public X509Certificate2 Serving { get; }

    /// <summary>The admin client certificate (with key): user system:admin in group system:masters.</summary>
    public X509Certificate2 Admin { get; }

    public string Directory { get; }

    public static ClusterPki LoadOrCreate(string dataDir, IEnumerable<string> hosts, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var dir = Path.Combine(dataDir, "tls");
        System.IO.Directory.CreateDirectory(dir);
        var now = time.GetUtcNow();
        var ca = LoadOrCreateCa(dir, now);
        var names = hosts.Where(h => !string.IsNullOrWhiteSpace(h)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var serving = LoadIssuedBy(dir, "serving", ca);
        if (serving is null || !Covers(serving, names) || DueForRenewal(serving, now))
        {
            serving = Issue(ca, "kube-apiserver", [], names, serverAuth: true, now);
            Save(dir, "serving", serving);
        }

        var admin = LoadIssuedBy(dir, "admin", ca);
        if (admin is null || DueForRenewal(admin, now))
        {
            admin = Save(dir, "admin", Issue(ca, AdminUser, [MastersGroup], [], serverAuth: false, now));
        }

        return new ClusterPki(ca, serving, admin, dir, time);
    }

    /// <summary>
    /// The client certificate stored as <c>tls/NAME.crt</c>, issued for <paramref name="commonName"/> in
    /// <paramref name="organizations"/> on first use (or when it expires within <see cref="RenewBefore"/>), reused afterwards.
    /// </summary>
    public X509Certificate2 LoadOrIssueClient(string name, string commonName, IEnumerable<string> organizations, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        if (LoadIssuedBy(Directory, name, Ca) is { } existing && existing.Subject.Contains("CN=" + commonName, StringComparison.Ordinal) && !DueForRenewal(existing, now))
        {
            return existing;
        }

        return Save(Directory, name, IssueClient(commonName, organizations, TimeSpan.FromDays(365)));
    }

    /// <summary>The user the API server is when it calls kubelets (upstream's <c>--kubelet-client-certificate</c>, as kubeadm names it).</summary>
    public const string KubeletClientUser = "kube-apiserver-kubelet-client";

    /// <summary>
    /// The client certificate the API server presents to kubelets for logs, exec and attach: user
    /// <see cref="KubeletClientUser"/> in <c>system:masters</c>, stored as <c>tls/kubelet-client.crt</c>.
    /// </summary>
    public X509Certificate2 LoadOrIssueKubeletClient() => LoadOrIssueClient("kubelet-client", KubeletClientUser, [MastersGroup], _time);

    /// <summary>Writes a kubeconfig that reaches <paramref name="serverUrl"/> as the admin.</summary>
    public string WriteAdminKubeconfig(string path, string serverUrl) => WriteKubeconfig(path, serverUrl, Admin, "admin");

    /// <summary>
    /// A client certificate from the cluster CA, with a new ECDSA P-256 key: user <paramref name="commonName"/>,
    /// groups <paramref name="organizations"/>, client authentication only, valid from five minutes ago (clock
    /// skew) for <paramref name="validity"/>, never past the CA's own expiry. Not stored: the caller keeps it.
    /// </summary>
    public X509Certificate2 IssueClient(string commonName, IEnumerable<string> organizations, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var issued = SignClient(Subject(commonName, organizations), new PublicKey(key), validity);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// Signs a PKCS#10 certificate signing request (DER, or PEM <c>CERTIFICATE REQUEST</c>) as a client certificate
    /// for its public key, as the <c>kubernetes.io/kube-apiserver-client(-kubelet)</c> signers do. The subject is
    /// the CSR's own unless <paramref name="commonName"/> is given (then with <paramref name="organizations"/>); the
    /// extensions the CSR asks for are ignored. The CSR's signature is checked (proof that the requester holds the
    /// key); an unreadable or badly signed CSR throws <see cref="ArgumentException"/> — the CSR API validates it at
    /// creation, so that is a caller's bug here.
    /// </summary>
    public X509Certificate2 SignCsr(byte[] csr, TimeSpan validity, string? commonName = null, IEnumerable<string>? organizations = null)
    {
        var loaded = SigningRequest.Parse(csr, out var error) ?? throw new ArgumentException(error, nameof(csr));
        var subject = commonName is null ? loaded.Subject : Subject(commonName, organizations ?? []);
        return SignClient(subject, loaded.PublicKey, validity);
    }

    /// <summary>
    /// Writes (0600, atomically) a kubeconfig that reaches <paramref name="serverUrl"/> with <paramref name="client"/>,
    /// a client certificate with its private key (ECDSA or RSA), trusting the cluster CA.
    /// </summary>
    /// <param name="userName">The name of the kubeconfig's user entry (only a label; the certificate says who it is).</param>
    public string WriteKubeconfig(string path, string serverUrl, X509Certificate2 client, string userName)
    {
        var key = (AsymmetricAlgorithm?)client.GetECDsaPrivateKey() ?? client.GetRSAPrivateKey()
            ?? throw new ArgumentException("the client certificate has no private key", nameof(client));
        string keyPem;
        using (key)
        {
            keyPem = key.ExportPkcs8PrivateKeyPem();
        }

        var content = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kubesharp
              cluster:
                server: {serverUrl}
                certificate-authority-data: {Base64Pem(Ca.ExportCertificatePem())}
            users:
            - name: {userName}
              user:
                client-certificate-data: {Base64Pem(client.ExportCertificatePem())}
                client-key-data: {Base64Pem(keyPem)}
            contexts:
            - name: kubesharp
              context:
                cluster: kubesharp
                user: {userName}
            current-context: kubesharp

            """;
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, content);
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// The CA of <c>&lt;data-dir&gt;/tls/</c> (with its key), created when missing. The caller disposes it. Servers that
    /// share a datastore share it (<see cref="Hosting.ClusterBootstrap"/>).
    /// </summary>
    public static X509Certificate2 LoadOrCreateCa(string dataDir, TimeProvider? time = null)
    {
        var dir = Path.Combine(dataDir, "tls");
        System.IO.Directory.CreateDirectory(dir);
        return LoadOrCreateCa(dir, (time ?? TimeProvider.System).GetUtcNow());
    }

    private static X509Certificate2 LoadOrCreateCa(string dir, DateTimeOffset now)
    {
        if (Load(dir, "ca") is { } existing)
        {
            return existing;
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=kubesharp-ca@{now.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        return Save(dir, "ca", ca);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string commonName, IReadOnlyList<string> organizations, List<string> hosts, bool serverAuth, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        X509Extension? names = null;
        if (hosts.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var host in hosts)
            {
                if (IPAddress.TryParse(host, out var ip))
                {
                    san.AddIpAddress(ip);
                }
                else
                {
                    san.AddDnsName(host);
                }
            }

            names = san.Build();
        }

        var template = new CertificateTemplate(Subject(commonName, organizations), new PublicKey(key), now.AddMinutes(-5), now.AddYears(1))
        {
            KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment,
            ExtendedKeyUsages = [new Oid(serverAuth ? ServerAuthOid : ClientAuthOid)],
            SubjectAlternativeNames = names,
        };
        using var issued = new CertificateAuthority(ca).Sign(template);
        return issued.CopyWithPrivateKey(key);
    }

    private static X500DistinguishedName Subject(string commonName, IEnumerable<string> organizations)
    {
        var builder = new X500DistinguishedNameBuilder();
        foreach (var o in organizations)
        {
            builder.AddOrganizationName(o);
        }

        builder.AddCommonName(commonName);
        return builder.Build();
    }

    private X509Certificate2 SignClient(X500DistinguishedName subject, PublicKey publicKey, TimeSpan validity)
    {
        if (validity <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(validity), validity, "a certificate must be valid for some time");
        }

        var now = _time.GetUtcNow();
        return _authority.Sign(new CertificateTemplate(subject, publicKey, now.AddMinutes(-5), now + validity)
        {
            KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment,
            ExtendedKeyUsages = [new Oid(ClientAuthOid)],
        });
    }

    private static bool DueForRenewal(X509Certificate2 certificate, DateTimeOffset now) =>
        certificate.NotAfter.ToUniversalTime() < (now + RenewBefore).UtcDateTime;

    private static bool Covers(X509Certificate2 cert, IReadOnlyList<string> hosts)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var dns = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var ips = san.EnumerateIPAddresses().Select(i => i.ToString()).ToHashSet(StringComparer.Ordinal);
        return hosts.All(h => IPAddress.TryParse(h, out var ip) ? ips.Contains(ip.ToString()) : dns.Contains(h));
    }

    private static X509Certificate2? Load(string dir, string name)
    {
        var crt = Path.Combine(dir, name + ".crt");
        var key = Path.Combine(dir, name + ".key");
        return File.Exists(crt) && File.Exists(key) ? X509Certificate2.CreateFromPemFile(crt, key) : null;
    }

    /// <summary>
    /// The stored certificate when <paramref name="ca"/> signed it; null when absent or issued by another CA (the data
    /// directory took the cluster's CA from the datastore: what the old one issued is issued again).
    /// </summary>
    private static X509Certificate2? LoadIssuedBy(string dir, string name, X509Certificate2 ca)
    {
        var cert = Load(dir, name);
        if (cert is null)
        {
            return null;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        // Expiry is judged by the callers (they renew 30 days ahead); only the signature matters here.
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        if (chain.Build(cert))
        {
            return cert;
        }

        cert.Dispose();
        return null;
    }

    private static X509Certificate2 Save(string dir, string name, X509Certificate2 cert)
    {
        File.WriteAllText(Path.Combine(dir, name + ".crt"), cert.ExportCertificatePem());
        var keyPath = Path.Combine(dir, name + ".key");
        File.WriteAllText(keyPath, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return cert;
    }

    private static string Base64Pem(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
}
