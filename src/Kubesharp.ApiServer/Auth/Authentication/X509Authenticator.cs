using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// Client certificates, as upstream's <c>request/x509</c> authenticator with <c>CommonNameUserConversion</c>:
/// <list type="bullet">
/// <item>NotApplicable: no certificate, or a verified one without a common name (upstream then lets the request
/// fall through to other credentials or anonymous).</item>
/// <item>Failure: the certificate does not chain to the cluster CA (the only trust anchor; no system roots, no
/// revocation check, no download of issuers), is outside its validity at the injected time, or has an
/// extended key usage extension without client authentication.</item>
/// <item>Success: user = subject CN, groups = every O in order, extra <c>authentication.kubernetes.io/credential-id</c>
/// = <c>X509SHA256=&lt;hex SHA-256 of the certificate&gt;</c>.</item>
/// </list>
/// Thread-safe: each call builds its own chain.
/// </summary>
internal sealed class X509Authenticator : IAuthenticator
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";

    private readonly X509Certificate2 _ca;
    private readonly TimeProvider _time;

    /// <param name="ca">The cluster CA; only its public certificate is kept.</param>
    public X509Authenticator(X509Certificate2 ca, TimeProvider time)
    {
        _ca = X509CertificateLoader.LoadCertificate(ca.RawData);
        _time = time;
    }

    public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(request.ClientCertificate is { } certificate ? Authenticate(certificate) : AuthenticationResult.NotApplicable);

    private AuthenticationResult Authenticate(X509Certificate2 certificate)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var identifier = $"SN={certificate.SerialNumber}";
        // Checked before the chain so that the reason says which bound was crossed, as Go's verifier does.
        if (now < certificate.NotBefore.ToUniversalTime())
        {
            return AuthenticationResult.Failure($"verifying certificate {identifier} failed: x509: certificate has expired or is not yet valid: current time {Rfc3339(now)} is before {Rfc3339(certificate.NotBefore.ToUniversalTime())}");
        }

        if (now > certificate.NotAfter.ToUniversalTime())
        {
            return AuthenticationResult.Failure($"verifying certificate {identifier} failed: x509: certificate has expired or is not yet valid: current time {Rfc3339(now)} is after {Rfc3339(certificate.NotAfter.ToUniversalTime())}");
        }

        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = now;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            // A certificate without an EKU extension is good for any usage, as in Go's verifier.
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
            if (!chain.Build(certificate))
            {
                return AuthenticationResult.Failure($"verifying certificate {identifier} failed: {Describe(chain)}");
            }

            // CustomRootTrust already refuses other roots; this guards against a chain ending anywhere but our CA.
            var root = chain.ChainElements[^1].Certificate;
            if (!root.RawDataMemory.Span.SequenceEqual(_ca.RawDataMemory.Span))
            {
                return AuthenticationResult.Failure($"verifying certificate {identifier} failed: x509: certificate signed by unknown authority");
            }
        }

        string? commonName = null;
        var organizations = new List<string>();
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            // Multi-valued RDNs (CN=a+O=b) are not read; no Kubernetes tooling writes them.
            if (rdn.HasMultipleElements)
            {
                continue;
            }

            var oid = rdn.GetSingleElementType().Value;
            var value = rdn.GetSingleElementValue();
            // Go's pkix.Name keeps the last CN it meets and every O in order.
            if (oid == CommonNameOid)
            {
                commonName = value;
            }
            else if (oid == OrganizationOid && value is not null)
            {
                organizations.Add(value);
            }
        }

        if (string.IsNullOrEmpty(commonName))
        {
            return AuthenticationResult.NotApplicable;
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { [ServiceAccountUser.CredentialIdKey] = ["X509SHA256=" + fingerprint] };
        return AuthenticationResult.Success(UserInfo.Create(commonName, organizations, extra: extra));
    }

    private static string Describe(X509Chain chain)
    {
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid)) != 0)
        {
            return "x509: certificate signed by unknown authority";
        }

        if ((flags & X509ChainStatusFlags.NotValidForUsage) != 0)
        {
            return "x509: certificate specifies an incompatible key usage";
        }

        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            return "x509: certificate has expired or is not yet valid (a certificate of its chain)";
        }

        return "x509: " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
    }

    private static string Rfc3339(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
