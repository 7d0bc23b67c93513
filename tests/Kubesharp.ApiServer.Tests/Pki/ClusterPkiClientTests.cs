using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kubesharp.ApiServer.Pki;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.ApiServer.Tests.Pki;

public sealed class ClusterPkiClientTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-pki-").FullName;
    private readonly FakeTimeProvider _time = new(Start);
    private readonly ClusterPki _pki;

    public ClusterPkiClientTests() => _pki = ClusterPki.LoadOrCreate(_dir, ["localhost"], _time);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<string> Organizations(X509Certificate2 certificate) =>
        certificate.SubjectName.EnumerateRelativeDistinguishedNames().Where(r => r.GetSingleElementType().Value == "2.5.4.10").Select(r => r.GetSingleElementValue()!);

    [Fact]
    public void A_client_certificate_has_the_subject_usage_and_validity_asked_for()
    {
        using var certificate = _pki.IssueClient("system:kube-controller-manager", [], TimeSpan.FromDays(365));

        Assert.Equal("system:kube-controller-manager", certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Empty(Organizations(certificate));
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(_pki.Ca.SubjectName.Name, certificate.IssuerName.Name);
        Assert.Equal(Start.AddMinutes(-5).UtcDateTime, certificate.NotBefore.ToUniversalTime());
        Assert.Equal(Start.AddDays(365).UtcDateTime, certificate.NotAfter.ToUniversalTime());
        var eku = Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
    }

    [Fact]
    public void A_client_certificate_never_outlives_the_ca()
    {
        using var certificate = _pki.IssueClient("long", [], TimeSpan.FromDays(365 * 50));

        Assert.Equal(_pki.Ca.NotAfter, certificate.NotAfter);
    }

    [Fact]
    public void A_csr_is_signed_for_its_key_with_the_given_subject()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=system:node:worker-1, O=system:nodes", key, HashAlgorithmName.SHA256).CreateSigningRequest();

        using var asked = _pki.SignCsr(csr, TimeSpan.FromDays(30));
        using var overridden = _pki.SignCsr(Encoding.ASCII.GetBytes(PemEncoding.WriteString("CERTIFICATE REQUEST", csr)), TimeSpan.FromDays(30), "system:node:worker-2", ["system:nodes"]);

        Assert.Equal("system:node:worker-1", asked.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Equal(["system:nodes"], Organizations(asked));
        Assert.Equal("system:node:worker-2", overridden.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), asked.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.False(asked.HasPrivateKey);
        Assert.Equal(Start.AddDays(30).UtcDateTime, asked.NotAfter.ToUniversalTime());
    }

    [Fact]
    public void A_csr_with_a_bad_signature_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        csr[^1] ^= 0x01;

        Assert.Throws<ArgumentException>(() => _pki.SignCsr(csr, TimeSpan.FromDays(1)));
    }

    [Fact]
    public void A_kubeconfig_for_a_component_carries_its_certificate_and_key()
    {
        using var certificate = _pki.IssueClient("system:kube-scheduler", [], TimeSpan.FromDays(365));
        var path = Path.Combine(_dir, "scheduler.kubeconfig");

        _pki.WriteKubeconfig(path, "https://127.0.0.1:6443", certificate, "system:kube-scheduler");

        var text = File.ReadAllText(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Contains("server: https://127.0.0.1:6443", text, StringComparison.Ordinal);
        Assert.Contains("- name: system:kube-scheduler", text, StringComparison.Ordinal);
        Assert.Contains("user: system:kube-scheduler", text, StringComparison.Ordinal);
        string Field(string name) => Encoding.ASCII.GetString(Convert.FromBase64String(text.Split('\n').Single(l => l.TrimStart().StartsWith(name + ":", StringComparison.Ordinal)).Split(':', 2)[1].Trim()));
        Assert.Equal(certificate.ExportCertificatePem(), Field("client-certificate-data"));
        Assert.Equal(_pki.Ca.ExportCertificatePem(), Field("certificate-authority-data"));
        using var reloaded = X509Certificate2.CreateFromPem(Field("client-certificate-data"), Field("client-key-data"));
        Assert.True(reloaded.HasPrivateKey);
    }
}
