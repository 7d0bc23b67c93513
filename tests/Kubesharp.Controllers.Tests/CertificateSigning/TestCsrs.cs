using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Kubesharp.Api.Certificates;

namespace Kubesharp.Controllers.Tests.CertificateSigning;

/// <summary>PKCS#10 requests, CertificateSigningRequest objects and a CA for the CSR controller tests.</summary>
internal static class TestCsrs
{
    public const string Kubelet = "kubernetes.io/kube-apiserver-client-kubelet";
    public const string Client = "kubernetes.io/kube-apiserver-client";

    public static readonly string[] NodeClientUsages = ["digital signature", "client auth"];

    /// <summary>A PEM request for CN=<paramref name="commonName"/> with O=<paramref name="organizations"/>, signed by a new ECDSA key (or <paramref name="key"/>).</summary>
    public static byte[] Pem(string commonName, string[] organizations, AsymmetricAlgorithm? key = null, Action<SubjectAlternativeNameBuilder>? alternativeNames = null)
    {
        var name = new X500DistinguishedNameBuilder();
        foreach (var organization in organizations)
        {
            name.AddOrganizationName(organization);
        }

        name.AddCommonName(commonName);
        using var own = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key switch
        {
            RSA rsa => new CertificateRequest(name.Build(), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ec => new CertificateRequest(name.Build(), ec, HashAlgorithmName.SHA256),
            _ => new CertificateRequest(name.Build(), own, HashAlgorithmName.SHA256),
        };
        if (alternativeNames is not null)
        {
            var builder = new SubjectAlternativeNameBuilder();
            alternativeNames(builder);
            request.CertificateExtensions.Add(builder.Build());
        }

        return Encoding.ASCII.GetBytes(PemEncoding.WriteString("CERTIFICATE REQUEST", request.CreateSigningRequest()));
    }

    public static SigningRequest Parsed(byte[] pem) => SigningRequest.Parse(pem, out var error) ?? throw new InvalidOperationException(error);

    public static V1CertificateSigningRequest Csr(
        string name,
        byte[] request,
        string signer = Kubelet,
        string[]? usages = null,
        string username = "system:bootstrap:abcdef",
        string[]? groups = null,
        int? expirationSeconds = null,
        params string[] conditions) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, Uid = "uid-" + name, ResourceVersion = "7" },
            Spec = new V1CertificateSigningRequestSpec
            {
                Request = request,
                SignerName = signer,
                Usages = usages ?? NodeClientUsages,
                Username = username,
                Groups = groups ?? ["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token", "system:authenticated"],
                ExpirationSeconds = expirationSeconds,
            },
            Status = conditions.Length == 0 ? null : new V1CertificateSigningRequestStatus
            {
                Conditions = [.. conditions.Select(c => new V1CertificateSigningRequestCondition { Type = c, Status = "True" })],
            },
        };

    /// <summary>An ECDSA CA valid from a day before <paramref name="now"/> for ten years, with a subject key identifier.</summary>
    public static X509Certificate2 Ca(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
    }
}
