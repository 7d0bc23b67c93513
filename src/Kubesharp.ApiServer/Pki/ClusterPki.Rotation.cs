using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kubesharp.Api.Certificates;

namespace Kubesharp.ApiServer.Pki;

/// <summary>A leaf certificate that <see cref="ClusterPki.RotateLeaves"/> re-issued: its file name (without <c>.crt</c>), subject and new expiry.</summary>
public sealed record RotatedCertificate(string Name, string Subject, DateTimeOffset NotAfter);

public sealed partial class ClusterPki
{
    /// <summary>
    /// <c>kubesharp certificate rotate</c>: re-issues now, from the CA in <c>&lt;data-dir&gt;/tls</c>, every leaf
    /// certificate kept there (each <c>NAME.crt</c> with its <c>NAME.key</c> that the CA signed), with a new ECDSA P-256
    /// key, the same subject, subject alternative names, key usage and extended key usages, valid for one year (never
    /// past the CA). The CA, the service account key, and files the CA did not sign are left alone. Each pair is
    /// written atomically (key and certificate to temporary files, then renamed). A running server keeps the
    /// certificates it loaded; it serves and writes its kubeconfigs with the new ones from its next start. Throws
    /// <see cref="FileNotFoundException"/> when there is no CA.
    /// </summary>
    public static IReadOnlyList<RotatedCertificate> RotateLeaves(string dataDir, TimeProvider? time = null)
    {
        var dir = Path.Combine(dataDir, "tls");
        var ca = Load(dir, "ca") ?? throw new FileNotFoundException($"there is no cluster CA in {dir} (ca.crt and ca.key)", Path.Combine(dir, "ca.crt"));
        var authority = new CertificateAuthority(ca);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var rotated = new List<RotatedCertificate>();
        foreach (var crt in System.IO.Directory.GetFiles(dir, "*.crt").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(crt);
            if (name == "ca" || Load(dir, name) is not { } old)
            {
                continue;
            }

            using (old)
            {
                if (!SignedBy(old, ca))
                {
                    continue;
                }

                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var template = new CertificateTemplate(old.SubjectName, new PublicKey(key), now.AddMinutes(-5), now.AddYears(1))
                {
                    KeyUsage = old.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault()?.KeyUsages ?? X509KeyUsageFlags.DigitalSignature,
                    ExtendedKeyUsages = old.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).ToList(),
                    SubjectAlternativeNames = old.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault(),
                };
                using var issued = authority.Sign(template);
                using var renewed = issued.CopyWithPrivateKey(key);
                SaveAtomically(dir, name, renewed);
                rotated.Add(new RotatedCertificate(name, renewed.Subject, new DateTimeOffset(renewed.NotAfter.ToUniversalTime())));
            }
        }

        return rotated;
    }

    /// <summary>Whether <paramref name="ca"/> signed <paramref name="certificate"/>; an expired certificate counts (it is what rotation is for).</summary>
    private static bool SignedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        return chain.Build(certificate);
    }

    /// <summary>Key and certificate each to a temporary file, then renamed: a crash never leaves a key that does not match its certificate for long.</summary>
    private static void SaveAtomically(string dir, string name, X509Certificate2 cert)
    {
        var keyPath = Path.Combine(dir, name + ".key");
        var crtPath = Path.Combine(dir, name + ".crt");
        File.WriteAllText(keyPath + ".tmp", cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPath + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(crtPath + ".tmp", cert.ExportCertificatePem());
        File.Move(keyPath + ".tmp", keyPath, overwrite: true);
        File.Move(crtPath + ".tmp", crtPath, overwrite: true);
    }
}
