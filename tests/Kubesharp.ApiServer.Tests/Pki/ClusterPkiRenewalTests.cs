using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kubesharp.ApiServer.Pki;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.ApiServer.Tests.Pki;

/// <summary>Leaf certificates renewed at start when they expire within 90 days, and rotated on demand (<c>kubesharp certificate rotate</c>).</summary>
public sealed class ClusterPkiRenewalTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly string[] Hosts = ["localhost", "127.0.0.1", "kubernetes.default.svc"];

    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-pki-renewal-").FullName;
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Tls(string file) => Path.Combine(_dir, "tls", file);

    /// <summary>What a server's start leaves under tls/: CA, serving, admin, the kubelet client and one component's certificate.</summary>
    private ClusterPki StartServer()
    {
        var pki = ClusterPki.LoadOrCreate(_dir, Hosts, _time);
        pki.LoadOrIssueKubeletClient();
        pki.LoadOrIssueClient("scheduler", "system:kube-scheduler", [], _time);
        return pki;
    }

    private Dictionary<string, string> Serials() =>
        new[] { "ca", "serving", "admin", "kubelet-client", "scheduler" }.ToDictionary(n => n, n => X509Certificate2.CreateFromPem(File.ReadAllText(Tls(n + ".crt"))).SerialNumber);

    [Theory]
    [InlineData("a leaf expiring in 265 days is kept", 100, false)]
    [InlineData("a leaf expiring in 91 days is kept", 274, false)]
    [InlineData("a leaf expiring in 89 days is renewed", 276, true)]
    [InlineData("an expired leaf is renewed", 400, true)]
    public void A_start_renews_the_leaf_certificates_that_expire_within_90_days(string name, int daysLater, bool renewed)
    {
        Assert.NotEmpty(name);
        StartServer();
        var before = Serials();

        _time.Advance(TimeSpan.FromDays(daysLater));
        var pki = StartServer();
        var after = Serials();

        Assert.Equal(before["ca"], after["ca"]);
        foreach (var leaf in new[] { "serving", "admin", "kubelet-client", "scheduler" })
        {
            Assert.True(renewed == (before[leaf] != after[leaf]), $"{leaf}: expected renewed={renewed}, serial {before[leaf]} -> {after[leaf]}");
        }

        var expectedNotAfter = renewed ? Start.AddDays(daysLater).AddYears(1) : Start.AddYears(1);
        Assert.Equal(expectedNotAfter.UtcDateTime, pki.Serving.NotAfter.ToUniversalTime());
        Assert.Equal(expectedNotAfter.UtcDateTime, pki.Admin.NotAfter.ToUniversalTime());
        // The kubeconfigs written from the renewed admin certificate are trusted by the same CA as before.
        Assert.Equal(pki.Ca.SubjectName.Name, pki.Admin.IssuerName.Name);
    }

    [Fact]
    public void Rotation_reissues_every_leaf_now_with_its_subject_names_and_usages_and_leaves_the_rest_alone()
    {
        var pki = StartServer();
        var old = new[] { "serving", "admin", "kubelet-client", "scheduler" }.ToDictionary(n => n, n => X509Certificate2.CreateFromPemFile(Tls(n + ".crt"), Tls(n + ".key")));
        var caPem = File.ReadAllText(Tls("ca.crt"));
        var caKey = File.ReadAllText(Tls("ca.key"));
        // A certificate the cluster CA did not sign (one a user put there) is not re-issued by it.
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            using var foreign = new CertificateRequest("CN=foreign", key, HashAlgorithmName.SHA256).CreateSelfSigned(Start, Start.AddYears(1));
            File.WriteAllText(Tls("foreign.crt"), foreign.ExportCertificatePem());
            File.WriteAllText(Tls("foreign.key"), key.ExportPkcs8PrivateKeyPem());
        }

        var foreignPem = File.ReadAllText(Tls("foreign.crt"));
        _time.Advance(TimeSpan.FromDays(10));

        var rotated = ClusterPki.RotateLeaves(_dir, _time);

        Assert.Equal(["admin", "kubelet-client", "scheduler", "serving"], rotated.Select(r => r.Name));
        Assert.All(rotated, r => Assert.Equal(Start.AddDays(10).AddYears(1), r.NotAfter));
        Assert.Equal(caPem, File.ReadAllText(Tls("ca.crt")));
        Assert.Equal(caKey, File.ReadAllText(Tls("ca.key")));
        Assert.Equal(foreignPem, File.ReadAllText(Tls("foreign.crt")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "tls"), "*.tmp"));
        foreach (var (name, before) in old)
        {
            using var after = X509Certificate2.CreateFromPemFile(Tls(name + ".crt"), Tls(name + ".key"));
            Assert.NotEqual(before.SerialNumber, after.SerialNumber);
            Assert.NotEqual(before.PublicKey.EncodedKeyValue.RawData, after.PublicKey.EncodedKeyValue.RawData);
            Assert.Equal(before.SubjectName.Name, after.SubjectName.Name);
            Assert.Equal(pki.Ca.SubjectName.Name, after.IssuerName.Name);
            Assert.Equal(Eku(before), Eku(after));
            Assert.Equal(San(before), San(after));
            Assert.Equal(Start.AddDays(10).AddMinutes(-5).UtcDateTime, after.NotBefore.ToUniversalTime());
            before.Dispose();
        }

        // The next start uses the rotated certificates as they are.
        var rotatedServing = X509Certificate2.CreateFromPem(File.ReadAllText(Tls("serving.crt"))).SerialNumber;
        var next = ClusterPki.LoadOrCreate(_dir, Hosts, _time);
        Assert.Equal(rotatedServing, next.Serving.SerialNumber);
    }

    [Fact]
    public void Rotation_needs_the_cluster_ca()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "tls"));

        Assert.Throws<FileNotFoundException>(() => ClusterPki.RotateLeaves(_dir, _time));
    }

    private static string[] Eku(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.Value!).ToArray();

    private static string[] San(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(s => s.EnumerateDnsNames().Concat(s.EnumerateIPAddresses().Select(i => i.ToString()))).ToArray();
}
