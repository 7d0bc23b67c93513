using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kubesharp.Api.Auth;
using Kubesharp.Api.Certificates;
using Kubesharp.Controllers.CertificateSigning;
using Kubesharp.Controllers.Tests.CertificateSigning;
using Kubesharp.Controllers.Tokens;

namespace Kubesharp.Controllers.Tests;

public sealed class CertificateControllersTests
{
    [Fact]
    public void Without_signing_material_only_the_approver_is_registered()
    {
        Assert.Equal(["certificatesigningrequest-approving-controller"], CertificateControllers.All.Select(d => d.Name));
        Assert.Equal(["certificatesigningrequest-approving-controller"], CertificateControllers.Create(null, null).Select(d => d.Name));
    }

    [Fact]
    public void With_a_service_account_key_and_a_cluster_ca_all_three_are_registered()
    {
        using var keys = ServiceAccountKeys.FromKey(RSA.Create(2048));
        using var ca = TestCsrs.Ca(DateTimeOffset.UtcNow);

        var descriptors = CertificateControllers.Create(new ServiceAccountSigning(keys, ReadOnlyMemory<byte>.Empty), new ClusterSigning(new CertificateAuthority(ca)));

        Assert.Equal(
            ["serviceaccount-token-controller", "certificatesigningrequest-approving-controller", "certificatesigningrequest-signing-controller"],
            descriptors.Select(d => d.Name));
    }

    [Fact]
    public void Signing_material_is_loaded_from_pem_files()
    {
        var dir = Directory.CreateTempSubdirectory("kubesharp-signing-").FullName;
        try
        {
            using var rsa = RSA.Create(2048);
            File.WriteAllText(Path.Combine(dir, "sa.key"), rsa.ExportRSAPrivateKeyPem());
            using var ca = TestCsrs.Ca(DateTimeOffset.UtcNow);
            File.WriteAllText(Path.Combine(dir, "ca.crt"), ca.ExportCertificatePem());
            using (var caKey = ca.GetECDsaPrivateKey()!)
            {
                File.WriteAllText(Path.Combine(dir, "ca.key"), caKey.ExportPkcs8PrivateKeyPem());
            }

            var tokens = ServiceAccountSigning.Load(Path.Combine(dir, "sa.key"), Path.Combine(dir, "ca.crt"));
            var signing = ClusterSigning.Load(Path.Combine(dir, "ca.crt"), Path.Combine(dir, "ca.key"), TimeSpan.FromDays(30));

            Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo())), tokens.Keys.KeyId);
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "ca.crt")), tokens.RootCa.ToArray());
            Assert.Equal(ca.Thumbprint, signing.Authority.Certificate.Thumbprint);
            Assert.Equal(TimeSpan.FromDays(30), signing.Duration);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
