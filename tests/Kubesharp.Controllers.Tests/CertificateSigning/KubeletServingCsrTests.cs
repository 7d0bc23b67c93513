using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s.Models;
using Kubesharp.Api.Certificates;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.CertificateSigning;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Controllers.Tests.CertificateSigning;

/// <summary><c>kubernetes.io/kubelet-serving</c>: approved when a node asks for its own, then signed as a server certificate.</summary>
public sealed class KubeletServingCsrTests : IDisposable
{
    private const string Serving = "kubernetes.io/kubelet-serving";
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private static readonly string[] Usages = ["digital signature", "key encipherment", "server auth"];
    private static readonly string[] NodeGroups = ["system:nodes", "system:authenticated"];

    private readonly Indexer<V1CertificateSigningRequest> _cache = new();
    private readonly FakeCsrApi _api = new();
    private readonly X509Certificate2 _ca = TestCsrs.Ca(Start);

    public void Dispose() => _ca.Dispose();

    private static byte[] Request(string commonName = "system:node:n1", string organization = "system:nodes", bool names = true) =>
        TestCsrs.Pem(commonName, [organization], alternativeNames: names ? b =>
        {
            b.AddDnsName("n1");
            b.AddIpAddress(IPAddress.Parse("10.0.0.5"));
        }
    : null);

    private async Task<bool> ApprovesAsync(V1CertificateSigningRequest csr)
    {
        _cache.Replace([csr]);
        var controller = new CsrApprovingController(new Lister<V1CertificateSigningRequest>(_cache), [], _api, TimeProvider.System, NullLogger.Instance);
        await controller.SyncAsync(csr.Metadata.Name, CancellationToken.None);
        Assert.Empty(_api.Reviews);
        return _api.Approvals.Count == 1;
    }

    [Fact]
    public async Task A_node_asking_for_its_own_serving_certificate_is_approved_without_a_review()
    {
        var csr = TestCsrs.Csr("s1", Request(), signer: Serving, usages: Usages, username: "system:node:n1", groups: NodeGroups);

        Assert.True(await ApprovesAsync(csr));
        var condition = Assert.Single(_api.Approvals[0].Status.Conditions);
        Assert.Equal(("Approved", "AutoApproved", "Auto approving self kubelet serving certificate."), (condition.Type, condition.Reason, condition.Message));
    }

    public static TheoryData<string, V1CertificateSigningRequest> NotApproved => new()
    {
        { "another node's", TestCsrs.Csr("a", Request(), signer: Serving, usages: Usages, username: "system:node:n2", groups: NodeGroups) },
        { "not in system:nodes", TestCsrs.Csr("b", Request(), signer: Serving, usages: Usages, username: "system:node:n1", groups: ["system:authenticated"]) },
        { "no names", TestCsrs.Csr("c", Request(names: false), signer: Serving, usages: Usages, username: "system:node:n1", groups: NodeGroups) },
        { "client auth usage", TestCsrs.Csr("d", Request(), signer: Serving, usages: ["digital signature", "client auth"], username: "system:node:n1", groups: NodeGroups) },
        { "wrong organization", TestCsrs.Csr("e", Request(organization: "system:masters"), signer: Serving, usages: Usages, username: "system:node:n1", groups: NodeGroups) },
    };

    [Theory]
    [MemberData(nameof(NotApproved))]
    public async Task Other_serving_requests_are_left_for_a_person(string name, V1CertificateSigningRequest csr)
    {
        Assert.False(await ApprovesAsync(csr), name);
    }

    [Fact]
    public async Task An_approved_serving_request_is_signed_for_server_auth_with_its_names()
    {
        var csr = TestCsrs.Csr("s2", Request(), signer: Serving, usages: Usages, username: "system:node:n1", groups: NodeGroups, conditions: "Approved");
        _cache.Replace([csr]);
        var controller = new CsrSigningController(new Lister<V1CertificateSigningRequest>(_cache), [], _api, new ClusterSigning(new CertificateAuthority(_ca)), new FakeTimeProvider(Start), NullLogger.Instance);

        await controller.SyncAsync("s2", CancellationToken.None);

        var issued = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(Assert.Single(_api.StatusUpdates).Status.Certificate));
        Assert.Equal("system:node:n1", issued.GetNameInfo(X509NameType.SimpleName, false));
        var eku = Assert.Single(issued.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        var san = Assert.Single(issued.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["n1"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("10.0.0.5")], san.EnumerateIPAddresses());
    }
}
