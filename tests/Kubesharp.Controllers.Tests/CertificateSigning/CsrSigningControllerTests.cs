using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Kubesharp.Api.Certificates;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.CertificateSigning;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Controllers.Tests.CertificateSigning;

public sealed class CsrSigningControllerTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly Indexer<V1CertificateSigningRequest> _cache = new();
    private readonly FakeCsrApi _api = new();
    private readonly X509Certificate2 _ca = TestCsrs.Ca(Start);
    private readonly CsrSigningController _controller;

    public CsrSigningControllerTests() =>
        _controller = new CsrSigningController(new Lister<V1CertificateSigningRequest>(_cache), [], _api, new ClusterSigning(new CertificateAuthority(_ca)), _time, NullLogger.Instance);

    public void Dispose()
    {
        _controller.Dispose();
        _ca.Dispose();
    }

    private async Task<V1CertificateSigningRequest?> SignAsync(V1CertificateSigningRequest csr)
    {
        _cache.Upsert(csr);
        var result = await _controller.SyncAsync(csr.Metadata.Name, CancellationToken.None);
        Assert.Null(result.Requeue);
        return _api.StatusUpdates.SingleOrDefault();
    }

    private static X509Certificate2 Issued(V1CertificateSigningRequest? updated)
    {
        Assert.NotNull(updated);
        var pem = Encoding.ASCII.GetString(updated.Status.Certificate);
        Assert.EndsWith("-----END CERTIFICATE-----\n", pem, StringComparison.Ordinal);
        return X509Certificate2.CreateFromPem(pem);
    }

    [Fact]
    public async Task An_approved_node_client_request_is_signed_for_its_subject_and_key_for_a_year()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestCsrs.Csr("node-csr-1", TestCsrs.Pem("system:node:n1", ["system:nodes"], key), conditions: "Approved");

        using var certificate = Issued(await SignAsync(csr));

        Assert.Equal("system:node:n1", certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Contains("O=system:nodes", certificate.Subject, StringComparison.Ordinal);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(_ca.SubjectName.Name, certificate.IssuerName.Name);
        Assert.Equal(Start.AddMinutes(-5).UtcDateTime, certificate.NotBefore.ToUniversalTime());
        Assert.Equal(Start.AddHours(8760).AddMinutes(-5).UtcDateTime, certificate.NotAfter.ToUniversalTime());
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, Assert.Single(certificate.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages);
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.False(Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Start.UtcDateTime;
        Assert.True(chain.Build(certificate), "the certificate chains to the CA");
    }

    [Theory]
    [InlineData("an hour: short, its end is not backdated", 3600, 60)]
    [InlineData("a day: its end is backdated like its start", 86400, 24 * 60 - 5)]
    [InlineData("a minute: raised to ten minutes", 60, 10)]
    [InlineData("two years: cut to the signing duration", 2 * 365 * 86400, 8760 * 60 - 5)]
    public async Task ExpirationSeconds_shortens_the_validity(string name, int expirationSeconds, int minutesAfterStart)
    {
        var csr = TestCsrs.Csr("node-csr", TestCsrs.Pem("system:node:n1", ["system:nodes"]), expirationSeconds: expirationSeconds, conditions: "Approved");

        using var certificate = Issued(await SignAsync(csr));

        Assert.True(Start.AddMinutes(minutesAfterStart).UtcDateTime == certificate.NotAfter.ToUniversalTime(), $"{name}: expected NotAfter {Start.AddMinutes(minutesAfterStart):O}, got {certificate.NotAfter.ToUniversalTime():O}");
    }

    [Fact]
    public async Task A_client_request_keeps_its_subject_alternative_names_and_asked_usages()
    {
        using var key = RSA.Create(2048);
        var csr = TestCsrs.Csr(
            "client-csr",
            TestCsrs.Pem("jane", ["developers"], key, b => b.AddDnsName("jane.example.com")),
            signer: TestCsrs.Client,
            usages: ["client auth", "key encipherment", "digital signature"],
            conditions: "Approved");

        using var certificate = Issued(await SignAsync(csr));

        Assert.Equal(["jane.example.com"], Assert.Single(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()).EnumerateDnsNames());
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, Assert.Single(certificate.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages);
        Assert.Equal("jane", certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
    }

    [Theory]
    [InlineData("a kubelet request with server auth", TestCsrs.Kubelet, "system:node:n1", "system:nodes", "digital signature,client auth,server auth", "usages did not match [client auth digital signature key encipherment]")]
    [InlineData("a kubelet request for a user", TestCsrs.Kubelet, "jane", "system:nodes", "digital signature,client auth", "subject common name does not begin with system:node:")]
    [InlineData("a client request without client auth", TestCsrs.Client, "jane", "developers", "digital signature", "missing required usage for client certificate: client auth")]
    public async Task An_invalid_request_fails_with_the_signers_reason_and_no_certificate(string name, string signer, string commonName, string organization, string usages, string message)
    {
        var csr = TestCsrs.Csr("bad", TestCsrs.Pem(commonName, [organization]), signer: signer, usages: usages.Split(','), conditions: "Approved");

        var updated = await SignAsync(csr);

        Assert.NotNull(updated);
        Assert.Null(updated.Status.Certificate);
        var failed = updated.Status.Conditions.Single(c => c.Type == "Failed");
        Assert.True((failed.Status, failed.Reason, failed.Message) == ("True", "SignerValidationFailure", message), $"{name}: got {failed.Status} {failed.Reason} {failed.Message}");
        Assert.Equal(Start.UtcDateTime, failed.LastUpdateTime);
    }

    [Fact]
    public async Task An_unreadable_request_fails()
    {
        var csr = TestCsrs.Csr("garbage", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"u8.ToArray(), conditions: "Approved");

        var updated = await SignAsync(csr);

        Assert.StartsWith("unable to parse csr: ", updated!.Status.Conditions.Single(c => c.Type == "Failed").Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, V1CertificateSigningRequest> Left => new()
    {
        { "not approved", TestCsrs.Csr("a", TestCsrs.Pem("system:node:n1", ["system:nodes"])) },
        { "approved and denied", TestCsrs.Csr("b", TestCsrs.Pem("system:node:n1", ["system:nodes"]), conditions: ["Approved", "Denied"]) },
        { "failed", TestCsrs.Csr("c", TestCsrs.Pem("system:node:n1", ["system:nodes"]), conditions: ["Approved", "Failed"]) },
        { "for a signer of someone else", TestCsrs.Csr("d", TestCsrs.Pem("system:node:n1", ["system:nodes"]), signer: "example.com/other", conditions: "Approved") },
        { "for a signer of someone else", TestCsrs.Csr("e", TestCsrs.Pem("system:node:n1", ["system:nodes"]), signer: "example.com/signer", conditions: "Approved") },
    };

    [Theory]
    [MemberData(nameof(Left))]
    public async Task Requests_that_are_not_to_be_signed_are_left(string name, V1CertificateSigningRequest csr)
    {
        var updated = await SignAsync(csr);

        Assert.True(updated is null, $"{name}: expected no status update");
    }

    [Fact]
    public async Task An_issued_request_is_left()
    {
        var csr = TestCsrs.Csr("issued", TestCsrs.Pem("system:node:n1", ["system:nodes"]), conditions: "Approved");
        csr.Status.Certificate = "x"u8.ToArray();

        Assert.Null(await SignAsync(csr));
    }

    [Fact]
    public async Task A_certificate_never_outlives_the_ca()
    {
        _time.SetUtcNow(Start.AddYears(10).AddDays(-100));
        var csr = TestCsrs.Csr("late", TestCsrs.Pem("system:node:n1", ["system:nodes"]), conditions: "Approved");

        using var certificate = Issued(await SignAsync(csr));

        Assert.Equal(_ca.NotAfter, certificate.NotAfter);
    }
}
