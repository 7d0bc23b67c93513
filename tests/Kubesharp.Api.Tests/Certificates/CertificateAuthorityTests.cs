using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kubesharp.Api.Certificates;

namespace Kubesharp.Api.Tests.Certificates;

public sealed class CertificateAuthorityTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private static X509Certificate2 Ca(ECDsa key, TimeSpan validity)
    {
        var request = new CertificateRequest("CN=ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(Start, Start + validity);
    }

    [Fact]
    public void A_leaf_is_signed_with_the_usages_asked_for_and_the_cas_key_identifier()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = Ca(caKey, TimeSpan.FromDays(3650));
        using var leafKey = RSA.Create(2048);

        using var leaf = new CertificateAuthority(ca).Sign(new CertificateTemplate(new X500DistinguishedName("CN=jane"), new PublicKey(leafKey), Start.AddHours(1), Start.AddDays(2))
        {
            KeyUsage = X509KeyUsageFlags.DigitalSignature,
            ExtendedKeyUsages = [new Oid("1.3.6.1.5.5.7.3.2")],
        });

        Assert.Equal("CN=jane", leaf.Subject);
        Assert.Equal(Start.AddHours(1).UtcDateTime, leaf.NotBefore.ToUniversalTime());
        Assert.Equal(Start.AddDays(2).UtcDateTime, leaf.NotAfter.ToUniversalTime());
        Assert.False(Assert.Single(leaf.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, Assert.Single(leaf.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages);
        var authorityKeyId = Assert.Single(leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>()).KeyIdentifier;
        Assert.Equal(Convert.FromHexString(Assert.Single(ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>()).SubjectKeyIdentifier!), authorityKeyId!.Value.ToArray());
    }

    [Fact]
    public void A_leaf_never_reaches_outside_the_cas_validity()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = Ca(caKey, TimeSpan.FromDays(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var leaf = new CertificateAuthority(ca).Sign(new CertificateTemplate(new X500DistinguishedName("CN=x"), new PublicKey(leafKey), Start.AddMinutes(-5), Start.AddDays(365)));

        Assert.Equal(ca.NotBefore, leaf.NotBefore);
        Assert.Equal(ca.NotAfter, leaf.NotAfter);
    }

    [Fact]
    public void An_expired_ca_refuses_to_sign()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = Ca(caKey, TimeSpan.FromDays(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Throws<InvalidOperationException>(() => new CertificateAuthority(ca).Sign(new CertificateTemplate(new X500DistinguishedName("CN=x"), new PublicKey(leafKey), Start.AddDays(2), Start.AddDays(3))));
    }

    [Fact]
    public void A_ca_without_its_private_key_cannot_sign()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = Ca(caKey, TimeSpan.FromDays(1));
        using var publicOnly = X509CertificateLoader.LoadCertificate(ca.RawData);

        Assert.Throws<ArgumentException>(() => new CertificateAuthority(publicOnly));
    }
}
