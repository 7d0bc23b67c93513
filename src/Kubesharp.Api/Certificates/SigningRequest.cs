using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kubesharp.Api.Certificates;

/// <summary>
/// A PKCS#10 certificate signing request as the certificates API reads <c>spec.request</c> (upstream's
/// <c>ParseCSR</c> and Go's <c>x509.CertificateRequest</c>): its subject, public key and the subject
/// alternative names it asks for. Immutable.
/// </summary>
public sealed record SigningRequest(X500DistinguishedName Subject, PublicKey PublicKey)
{
    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>The subject's CN ("" when it has none; the last one when it has several, as Go).</summary>
    public string CommonName { get; init; } = "";

    /// <summary>The subject's O values, in order.</summary>
    public IReadOnlyList<string> Organizations { get; init; } = [];

    public IReadOnlyList<string> DnsNames { get; init; } = [];

    public IReadOnlyList<IPAddress> IpAddresses { get; init; } = [];

    public IReadOnlyList<string> EmailAddresses { get; init; } = [];

    public IReadOnlyList<string> Uris { get; init; } = [];

    /// <summary>The subjectAltName extension the request asks for, as it is (a signer copies it), or null.</summary>
    public X509Extension? SubjectAlternativeNames { get; init; }

    /// <summary>
    /// Reads a request from PEM (<c>CERTIFICATE REQUEST</c>, as <c>spec.request</c> holds it) or DER and checks its
    /// signature (proof that the requester holds the private key). Null with <paramref name="error"/> when it is not
    /// a readable, correctly signed PKCS#10 request: a value, since the bytes come from users.
    /// </summary>
    public static SigningRequest? Parse(ReadOnlySpan<byte> request, out string? error)
    {
        error = null;
        CertificateRequest loaded;
        try
        {
            if (request.TrimStart(" \t\r\n"u8).StartsWith("-----BEGIN"u8))
            {
                var text = Encoding.ASCII.GetString(request);
                if (!PemEncoding.TryFind(text, out var fields))
                {
                    error = "PEM block type must be CERTIFICATE REQUEST";
                    return null;
                }

                if (text[fields.Label] is not "CERTIFICATE REQUEST")
                {
                    error = "PEM block type must be CERTIFICATE REQUEST";
                    return null;
                }

                loaded = CertificateRequest.LoadSigningRequest(Convert.FromBase64String(text[fields.Base64Data]), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            }
            else
            {
                loaded = CertificateRequest.LoadSigningRequest(request.ToArray(), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            }
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            error = "not a valid, correctly signed PKCS#10 certificate signing request: " + e.Message;
            return null;
        }

        var commonName = "";
        var organizations = new List<string>();
        foreach (var rdn in loaded.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements)
            {
                continue;
            }

            switch (rdn.GetSingleElementType().Value)
            {
                case CommonNameOid:
                    commonName = rdn.GetSingleElementValue() ?? "";
                    break;
                case OrganizationOid:
                    organizations.Add(rdn.GetSingleElementValue() ?? "");
                    break;
            }
        }

        var parsed = new SigningRequest(loaded.SubjectName, loaded.PublicKey) { CommonName = commonName, Organizations = organizations };
        var san = loaded.CertificateExtensions.FirstOrDefault(e => e.Oid?.Value == SubjectAltNameOid);
        if (san is null)
        {
            return parsed;
        }

        try
        {
            return ReadAlternativeNames(parsed with { SubjectAlternativeNames = san }, san.RawData);
        }
        catch (AsnContentException e)
        {
            error = "malformed subjectAltName extension: " + e.Message;
            return null;
        }
    }

    // GeneralNames ::= SEQUENCE OF GeneralName; the kinds Go reads into a CertificateRequest (RFC 5280 4.2.1.6).
    private static SigningRequest ReadAlternativeNames(SigningRequest request, byte[] der)
    {
        List<string> dns = [], emails = [], uris = [];
        List<IPAddress> ips = [];
        var names = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific)
            {
                names.ReadEncodedValue();
                continue;
            }

            switch (tag.TagValue)
            {
                case 1:
                    emails.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                    break;
                case 2:
                    dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                    break;
                case 6:
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                    break;
                case 7:
                    ips.Add(new IPAddress(names.ReadOctetString(tag)));
                    break;
                default:
                    names.ReadEncodedValue();
                    break;
            }
        }

        return request with { DnsNames = dns, EmailAddresses = emails, Uris = uris, IpAddresses = ips };
    }
}
