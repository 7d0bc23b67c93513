using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kubesharp.Api.Certificates;

/// <summary>
/// What a leaf certificate is made of: whose it is (<see cref="Subject"/>, <see cref="PublicKey"/>), when it is valid,
/// and its usages. Every certificate a <see cref="CertificateAuthority"/> signs is a leaf (basic constraints CA:false).
/// </summary>
/// <param name="NotBefore">Clamped to the CA's own NotBefore.</param>
/// <param name="NotAfter">Clamped to the CA's own NotAfter: a certificate never outlives its issuer (upstream's signer does the same).</param>
public sealed record CertificateTemplate(X500DistinguishedName Subject, PublicKey PublicKey, DateTimeOffset NotBefore, DateTimeOffset NotAfter)
{
    /// <summary>The key usage extension (critical); none when <see cref="X509KeyUsageFlags.None"/>.</summary>
    public X509KeyUsageFlags KeyUsage { get; init; }

    /// <summary>The extended key usages, in this order; no extension when empty.</summary>
    public IReadOnlyList<Oid> ExtendedKeyUsages { get; init; } = [];

    /// <summary>A subjectAltName extension to copy as it is (the one a signing request asked for), or none.</summary>
    public X509Extension? SubjectAlternativeNames { get; init; }
}

/// <summary>
/// A CA certificate with its private key (ECDSA or RSA) that signs leaf certificates: the cluster CA of the API
/// server's PKI and of the controller manager's CSR signer (<c>--cluster-signing-cert-file</c>/<c>--cluster-signing-key-file</c>).
/// Serial numbers are 128 random bits, as upstream's <c>authority.CertificateAuthority</c>; the authority key
/// identifier is the CA's subject key identifier when it has one. Thread-safe (each signature is independent).
/// It does not own <see cref="Certificate"/>: a CA lives as long as the component that signs with it.
/// </summary>
public sealed class CertificateAuthority
{
    /// <param name="certificate">The CA certificate; it must carry its private key.</param>
    public CertificateAuthority(X509Certificate2 certificate)
    {
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("a signing CA needs its private key", nameof(certificate));
        }

        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificate as PEM: what clients put in their trust bundle (<c>ca.crt</c>).</summary>
    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>Loads a CA from a PEM certificate file and a PEM private key file (PKCS#1, SEC1 or PKCS#8). Throws when they do not match or cannot be read.</summary>
    public static CertificateAuthority LoadFromPemFiles(string certificateFile, string keyFile) =>
        new(X509Certificate2.CreateFromPemFile(certificateFile, keyFile));

    /// <summary>
    /// Signs <paramref name="template"/>. Throws <see cref="InvalidOperationException"/> when the CA has expired
    /// (no certificate it signs could be valid), <see cref="ArgumentException"/> when the template's validity is empty.
    /// </summary>
    public X509Certificate2 Sign(CertificateTemplate template)
    {
        var caNotBefore = new DateTimeOffset(Certificate.NotBefore.ToUniversalTime());
        var caNotAfter = new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        // .NET refuses a validity outside the issuer's; upstream only truncates NotAfter. NotBefore is clamped too
        // so that a certificate signed in the CA's first five minutes (its backdating) is not refused.
        var notBefore = template.NotBefore < caNotBefore ? caNotBefore : template.NotBefore;
        var notAfter = template.NotAfter > caNotAfter ? caNotAfter : template.NotAfter;
        if (notBefore >= caNotAfter)
        {
            throw new InvalidOperationException($"the signer has expired: NotAfter={caNotAfter:O}");
        }

        if (notAfter <= notBefore)
        {
            throw new ArgumentException($"the certificate would never be valid: NotBefore={notBefore:O}, NotAfter={notAfter:O}", nameof(template));
        }

        var request = new CertificateRequest(template.Subject, template.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        if (template.KeyUsage != X509KeyUsageFlags.None)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(template.KeyUsage, true));
        }

        if (template.ExtendedKeyUsages.Count > 0)
        {
            var usages = new OidCollection();
            foreach (var oid in template.ExtendedKeyUsages)
            {
                usages.Add(oid);
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        }

        if (template.SubjectAlternativeNames is { } san)
        {
            request.CertificateExtensions.Add(san);
        }

        if (Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any())
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        // A key of its own per signature (thread safety), and an explicit generator: the leaf's key may be of
        // another algorithm than the CA's (an RSA request under the ECDSA cluster CA).
        using var ecdsa = Certificate.GetECDsaPrivateKey();
        using var rsa = ecdsa is null ? Certificate.GetRSAPrivateKey() : null;
        var generator = ecdsa is not null ? X509SignatureGenerator.CreateForECDsa(ecdsa)
            : rsa is not null ? X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1)
            : throw new InvalidOperationException("the CA's private key is neither ECDSA nor RSA");
        return request.Create(Certificate.SubjectName, generator, notBefore, notAfter, serial);
    }
}
