using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kubesharp.Api.Certificates;

namespace Kubesharp.Api.Tests.Certificates;

public sealed class SigningRequestTests
{
    private static byte[] Der(ECDsa key, Action<SubjectAlternativeNameBuilder>? names = null)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("system:nodes");
        subject.AddOrganizationName("team-a");
        subject.AddCommonName("system:node:n1");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        if (names is not null)
        {
            var builder = new SubjectAlternativeNameBuilder();
            names(builder);
            request.CertificateExtensions.Add(builder.Build());
        }

        return request.CreateSigningRequest();
    }

    [Fact]
    public void A_pem_request_gives_its_subject_key_and_alternative_names()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = Encoding.ASCII.GetBytes(PemEncoding.WriteString("CERTIFICATE REQUEST", Der(key, b =>
        {
            b.AddDnsName("n1.example.com");
            b.AddIpAddress(IPAddress.Parse("10.0.0.1"));
            b.AddEmailAddress("ops@example.com");
            b.AddUri(new Uri("spiffe://cluster/n1"));
        })));

        var request = SigningRequest.Parse(pem, out var error);

        Assert.Null(error);
        Assert.NotNull(request);
        Assert.Equal("system:node:n1", request.CommonName);
        Assert.Equal(["system:nodes", "team-a"], request.Organizations);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), request.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(["n1.example.com"], request.DnsNames);
        Assert.Equal([IPAddress.Parse("10.0.0.1")], request.IpAddresses);
        Assert.Equal(["ops@example.com"], request.EmailAddresses);
        Assert.Equal(["spiffe://cluster/n1"], request.Uris);
        Assert.NotNull(request.SubjectAlternativeNames);
    }

    [Fact]
    public void A_der_request_without_alternative_names_is_read_too()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var request = SigningRequest.Parse(Der(key), out var error);

        Assert.Null(error);
        Assert.Equal("system:node:n1", request!.CommonName);
        Assert.Empty(request.DnsNames);
        Assert.Null(request.SubjectAlternativeNames);
    }

    [Theory]
    [InlineData("another PEM block", "CERTIFICATE", "PEM block type must be CERTIFICATE REQUEST")]
    [InlineData("a bad signature", "CERTIFICATE REQUEST", "not a valid, correctly signed PKCS#10 certificate signing request: ")]
    public void What_is_not_a_correctly_signed_request_is_an_error_value(string name, string label, string expected)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = Der(key);
        der[^1] ^= 0x01;

        var request = SigningRequest.Parse(Encoding.ASCII.GetBytes(PemEncoding.WriteString(label, der)), out var error);

        Assert.Null(request);
        Assert.True(error?.StartsWith(expected, StringComparison.Ordinal) == true, $"{name}: expected an error starting \"{expected}\", got \"{error}\"");
    }

    [Fact]
    public void Garbage_is_an_error_value()
    {
        Assert.Null(SigningRequest.Parse("garbage"u8, out var error));
        Assert.NotNull(error);
    }
}
