using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.Controllers.CertificateSigning;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>
/// Kubelet TLS bootstrap end to end: a bootstrap token, a node client CSR made with it, the approving and signing
/// controllers (as the certificate-controller service account, with the cluster CA files), and a client with the
/// issued certificate.
/// </summary>
public sealed class NodeBootstrapIntegrationTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private async Task<ControllerRun> RunCsrControllersAsync() => new(
        await server.ServiceAccountClientAsync("certificate-controller"),
        CertificateControllers.Create(null, ClusterSigning.Load(Path.Combine(server.DataDir, "tls", "ca.crt"), Path.Combine(server.DataDir, "tls", "ca.key"))));

    /// <summary>As <c>kubeadm token create</c>: a bootstrap token Secret, in kubeadm's node token group unless told otherwise.</summary>
    private static async Task<string> CreateBootstrapTokenAsync(Kubernetes admin, params string[] groups)
    {
        var token = BootstrapTokens.Generate();
        await admin.CoreV1.CreateNamespacedSecretAsync(BootstrapTokens.CreateSecret(token, DateTimeOffset.UtcNow.AddHours(1), groups), "kube-system");
        return token;
    }

    private static V1CertificateSigningRequest NodeClientCsr(string generateName, ECDsa key, string node)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("system:nodes");
        subject.AddCommonName("system:node:" + node);
        var pkcs10 = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequest();
        return new V1CertificateSigningRequest
        {
            Metadata = new V1ObjectMeta { GenerateName = generateName },
            Spec = new V1CertificateSigningRequestSpec
            {
                Request = Encoding.ASCII.GetBytes(PemEncoding.WriteString("CERTIFICATE REQUEST", pkcs10)),
                SignerName = "kubernetes.io/kube-apiserver-client-kubelet",
                Usages = ["digital signature", "client auth"],
            },
        };
    }

    [Fact]
    public async Task A_node_joins_with_a_bootstrap_token_and_gets_a_client_certificate_for_its_name()
    {
        using var admin = server.Admin();
        var token = await CreateBootstrapTokenAsync(admin, BootstrapTokens.DefaultNodeTokenGroup);
        await using var run = await RunCsrControllersAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var bootstrap = server.WithToken(token);

        var created = await bootstrap.CertificatesV1.CreateCertificateSigningRequestAsync(NodeClientCsr("node-csr-", key, "n1"));
        Assert.StartsWith("system:bootstrap:", created.Spec.Username, StringComparison.Ordinal);
        var issued = await Eventually.HoldsAsync(
            () => bootstrap.CertificatesV1.ReadCertificateSigningRequestAsync(created.Metadata.Name),
            c => c.Status?.Certificate is { Length: > 0 },
            "the node's CSR is approved and signed");

        var approved = Assert.Single(issued.Status.Conditions, c => c.Type == "Approved");
        Assert.Equal(("True", "AutoApproved", "Auto approving kubelet client certificate after SubjectAccessReview."), (approved.Status, approved.Reason, approved.Message));
        using var certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(issued.Status.Certificate));
        using var withKey = certificate.CopyWithPrivateKey(key);
        var kubeconfig = Path.Combine(server.DataDir, "n1.kubeconfig");
        server.Host.Pki!.WriteKubeconfig(kubeconfig, server.ServerUrl, withKey, "n1");
        using var node = ApiServerFixture.FromKubeconfig(kubeconfig);
        var whoami = await node.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("system:node:n1", whoami.Status.UserInfo.Username);
        Assert.Contains("system:nodes", whoami.Status.UserInfo.Groups);
        Assert.Contains("system:authenticated", whoami.Status.UserInfo.Groups);
    }

    [Fact]
    public async Task A_node_renews_its_certificate_with_its_own_identity()
    {
        using var admin = server.Admin();
        await using var run = await RunCsrControllersAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kubeconfig = Path.Combine(server.DataDir, "n2.kubeconfig");
        server.Host.Pki!.WriteKubeconfig(kubeconfig, server.ServerUrl, server.Host.Pki.IssueClient("system:node:n2", ["system:nodes"], TimeSpan.FromHours(1)), "n2");
        using var node = ApiServerFixture.FromKubeconfig(kubeconfig);

        var created = await node.CertificatesV1.CreateCertificateSigningRequestAsync(NodeClientCsr("node-renew-", key, "n2"));
        var issued = await Eventually.HoldsAsync(
            () => node.CertificatesV1.ReadCertificateSigningRequestAsync(created.Metadata.Name),
            c => c.Status?.Certificate is { Length: > 0 },
            "the node's renewal CSR is approved and signed");

        Assert.Equal("Auto approving self kubelet client certificate after SubjectAccessReview.", Assert.Single(issued.Status.Conditions, c => c.Type == "Approved").Message);
    }

    [Fact]
    public async Task The_servers_join_token_is_in_kubeadms_node_token_group_and_a_token_outside_it_cannot_ask_for_certificates()
    {
        using var admin = server.Admin();
        Assert.True(BootstrapTokens.TryParse(File.ReadAllText(server.Host.NodeTokenPath).Trim(), out var id, out _), "the server writes a bootstrap token");
        var joinSecret = await admin.CoreV1.ReadNamespacedSecretAsync("bootstrap-token-" + id, "kube-system");
        Assert.Equal(BootstrapTokens.DefaultNodeTokenGroup, Encoding.UTF8.GetString(joinSecret.Data["auth-extra-groups"]));

        var outsider = await CreateBootstrapTokenAsync(admin);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = server.WithToken(outsider);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => client.CertificatesV1.CreateCertificateSigningRequestAsync(NodeClientCsr("outsider-", key, "n3")));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
    }
}
