using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.CertificateSigning;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.CertificateSigning;

public sealed class CsrApprovingControllerTests : IDisposable
{
    private readonly Indexer<V1CertificateSigningRequest> _cache = new();
    private readonly FakeCsrApi _api = new();
    private readonly CsrApprovingController _controller;

    public CsrApprovingControllerTests() =>
        _controller = new CsrApprovingController(new Lister<V1CertificateSigningRequest>(_cache), [], _api, TimeProvider.System, NullLogger.Instance);

    public void Dispose() => _controller.Dispose();

    private Task<Client.Controllers.ReconcileResult> SyncAsync(V1CertificateSigningRequest csr)
    {
        _cache.Upsert(csr);
        return _controller.SyncAsync(csr.Metadata.Name, CancellationToken.None);
    }

    private static bool Asks(V1SubjectAccessReview review, string subresource) => review.Spec.ResourceAttributes.Subresource == subresource;

    [Fact]
    public async Task A_bootstrap_node_client_request_is_approved_after_a_nodeclient_review_of_its_requester()
    {
        _api.Allow = r => Asks(r, "nodeclient");
        var csr = TestCsrs.Csr("node-csr-1", TestCsrs.Pem("system:node:n1", ["system:nodes"]));
        csr.Spec.Uid = "bootstrap-uid";
        csr.Spec.Extra = new Dictionary<string, IList<string>> { ["k"] = ["v"] };

        var result = await SyncAsync(csr);

        Assert.Null(result.Requeue);
        var review = Assert.Single(_api.Reviews);
        Assert.Equal(("system:bootstrap:abcdef", "bootstrap-uid"), (review.Spec.User, review.Spec.Uid));
        Assert.Equal(csr.Spec.Groups, review.Spec.Groups);
        Assert.Equal(["v"], review.Spec.Extra["k"]);
        var attributes = review.Spec.ResourceAttributes;
        Assert.Equal(("certificates.k8s.io", "certificatesigningrequests", "create", "nodeclient", "*"), (attributes.Group, attributes.Resource, attributes.Verb, attributes.Subresource, attributes.Version));
        var approved = Assert.Single(_api.Approvals);
        var condition = Assert.Single(approved.Status.Conditions);
        Assert.Equal(("Approved", "True", "AutoApproved", "Auto approving kubelet client certificate after SubjectAccessReview."), (condition.Type, condition.Status, condition.Reason, condition.Message));
        Assert.Null(_cache.Get("node-csr-1")!.Status);
    }

    [Fact]
    public async Task A_node_renewing_its_own_certificate_is_approved_as_selfnodeclient()
    {
        _api.Allow = r => Asks(r, "selfnodeclient");
        var csr = TestCsrs.Csr("node-csr-2", TestCsrs.Pem("system:node:n1", ["system:nodes"]), username: "system:node:n1", groups: ["system:nodes", "system:authenticated"]);

        await SyncAsync(csr);

        Assert.Equal(["selfnodeclient"], _api.Reviews.Select(r => r.Spec.ResourceAttributes.Subresource));
        Assert.Equal("Auto approving self kubelet client certificate after SubjectAccessReview.", Assert.Single(Assert.Single(_api.Approvals).Status.Conditions).Message);
    }

    [Fact]
    public async Task A_node_without_selfnodeclient_is_still_approved_as_nodeclient()
    {
        _api.Allow = r => Asks(r, "nodeclient");
        var csr = TestCsrs.Csr("node-csr-3", TestCsrs.Pem("system:node:n1", ["system:nodes"]), username: "system:node:n1");

        await SyncAsync(csr);

        Assert.Equal(["selfnodeclient", "nodeclient"], _api.Reviews.Select(r => r.Spec.ResourceAttributes.Subresource));
        Assert.Equal("Auto approving kubelet client certificate after SubjectAccessReview.", Assert.Single(Assert.Single(_api.Approvals).Status.Conditions).Message);
    }

    [Fact]
    public async Task A_recognised_request_that_is_not_allowed_is_left_and_looked_at_again_with_growing_back_off()
    {
        var csr = TestCsrs.Csr("node-csr-4", TestCsrs.Pem("system:node:n1", ["system:nodes"]));

        var first = await SyncAsync(csr);
        var second = await SyncAsync(csr);

        Assert.Empty(_api.Approvals);
        Assert.NotNull(first.Requeue);
        Assert.NotNull(second.Requeue);
        Assert.True(second.Requeue > first.Requeue, $"expected a longer wait the second time, got {first.Requeue} then {second.Requeue}");
    }

    public static TheoryData<string, V1CertificateSigningRequest> Ignored => new()
    {
        { "already approved", TestCsrs.Csr("a", TestCsrs.Pem("system:node:n1", ["system:nodes"]), conditions: "Approved") },
        { "denied", TestCsrs.Csr("b", TestCsrs.Pem("system:node:n1", ["system:nodes"]), conditions: "Denied") },
        { "for another signer", TestCsrs.Csr("c", TestCsrs.Pem("system:node:n1", ["system:nodes"]), signer: TestCsrs.Client) },
        { "not a node client request", TestCsrs.Csr("d", TestCsrs.Pem("system:node:n1", ["system:masters"])) },
        { "with server auth", TestCsrs.Csr("e", TestCsrs.Pem("system:node:n1", ["system:nodes"]), usages: ["digital signature", "client auth", "server auth"]) },
        { "unreadable", TestCsrs.Csr("f", "not a request"u8.ToArray()) },
    };

    [Theory]
    [MemberData(nameof(Ignored))]
    public async Task Requests_that_are_not_for_auto_approval_are_left_without_a_review(string name, V1CertificateSigningRequest csr)
    {
        _api.Allow = _ => true;

        var result = await SyncAsync(csr);

        Assert.True(_api.Reviews.Count == 0 && _api.Approvals.Count == 0 && result.Requeue is null, $"{name}: expected no review, approval or requeue");
    }

    [Fact]
    public async Task An_issued_request_is_left()
    {
        _api.Allow = _ => true;
        var csr = TestCsrs.Csr("g", TestCsrs.Pem("system:node:n1", ["system:nodes"]));
        csr.Status = new V1CertificateSigningRequestStatus { Certificate = "x"u8.ToArray() };

        await SyncAsync(csr);

        Assert.Empty(_api.Reviews);
    }

    [Fact]
    public async Task A_request_that_is_gone_is_done()
    {
        var result = await _controller.SyncAsync("missing", CancellationToken.None);

        Assert.Null(result.Requeue);
        Assert.Empty(_api.Reviews);
    }
}
