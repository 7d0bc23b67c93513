using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Kubesharp.Api.Certificates;
using Kubesharp.ApiServer.Pki;
using Kubesharp.Kubelet.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Kubelet.Tests.Server;

public sealed class ServingCertificateTests : IDisposable
{
    private static readonly IPAddress[] Addresses = [IPAddress.Parse("10.0.0.5"), IPAddress.Loopback];
    private static readonly string[] Hosts = ["n1"];
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-serving-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<X509Certificate2> GetAsync(FakeCsrs csrs) =>
        ServingCertificate.LoadOrRequestAsync(csrs, "n1", Addresses, Hosts, Path.Combine(_dir, "pki"), TimeSpan.FromSeconds(20), TimeProvider.System, NullLogger.Instance, CancellationToken.None);

    [Fact]
    public async Task Requests_a_kubelet_serving_certificate_and_reuses_it()
    {
        var pki = ClusterPki.LoadOrCreate(Path.Combine(_dir, "cluster"), ["127.0.0.1"]);
        var csrs = new FakeCsrs(pki.Ca);

        using var first = await GetAsync(csrs);
        using var second = await GetAsync(csrs);

        var sent = Assert.Single(csrs.Created);
        Assert.Equal(("kubernetes.io/kubelet-serving", "csr-"), (sent.Spec.SignerName, sent.Metadata.GenerateName));
        Assert.Equal(["digital signature", "key encipherment", "server auth"], sent.Spec.Usages);
        var request = SigningRequest.Parse(sent.Spec.Request, out _)!;
        Assert.Equal(("system:node:n1", "system:nodes"), (request.CommonName, Assert.Single(request.Organizations)));
        Assert.Equal(Addresses, request.IpAddresses);
        Assert.Equal(Hosts, request.DnsNames);
        Assert.Equal(pki.Ca.Subject, first.Issuer);
        Assert.True(first.HasPrivateKey);
        Assert.Equal(first.Thumbprint, second.Thumbprint);
    }

    [Fact]
    public async Task Falls_back_to_a_self_signed_certificate_when_the_request_is_denied()
    {
        var pki = ClusterPki.LoadOrCreate(Path.Combine(_dir, "cluster"), ["127.0.0.1"]);
        var csrs = new FakeCsrs(pki.Ca) { Deny = true };

        using var certificate = await GetAsync(csrs);

        Assert.Equal(certificate.Subject, certificate.Issuer);
        Assert.True(certificate.HasPrivateKey);
        Assert.True(ServingCertificate.Covers(certificate, Addresses, Hosts));
    }

    /// <summary>Signs every request at once as the controller manager would, or denies it.</summary>
    private sealed class FakeCsrs(X509Certificate2 ca) : ServingCertificate.ICsrClient
    {
        private readonly CertificateAuthority _authority = new(ca);

        public List<V1CertificateSigningRequest> Created { get; } = [];

        public bool Deny { get; init; }

        public Task<string> CreateAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken)
        {
            Created.Add(csr);
            return Task.FromResult("csr-" + Created.Count);
        }

        public Task<V1CertificateSigningRequest?> ReadAsync(string name, CancellationToken cancellationToken)
        {
            var csr = Created[^1];
            csr.Status = new V1CertificateSigningRequestStatus();
            if (Deny)
            {
                csr.Status.Conditions = [new V1CertificateSigningRequestCondition { Type = "Denied", Status = "True", Message = "no" }];
                return Task.FromResult<V1CertificateSigningRequest?>(csr);
            }

            var request = SigningRequest.Parse(csr.Spec.Request, out _)!;
            var now = DateTimeOffset.UtcNow;
            using var issued = _authority.Sign(new CertificateTemplate(request.Subject, request.PublicKey, now.AddMinutes(-5), now.AddDays(30))
            {
                KeyUsage = X509KeyUsageFlags.DigitalSignature,
                ExtendedKeyUsages = [new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")],
                SubjectAlternativeNames = request.SubjectAlternativeNames,
            });
            csr.Status.Certificate = Encoding.ASCII.GetBytes(issued.ExportCertificatePem());
            return Task.FromResult<V1CertificateSigningRequest?>(csr);
        }
    }
}
