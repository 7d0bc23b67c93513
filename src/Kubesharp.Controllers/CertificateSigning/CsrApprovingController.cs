using k8s;
using k8s.Models;
using Kubesharp.Api.Certificates;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.WorkQueue;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.CertificateSigning;

/// <summary>
/// Upstream's <c>csrapproving</c> controller (<c>pkg/controller/certificates/approver/sarapprove.go</c>): approves
/// kubelet client certificate requests when the requester may ask for them.
/// <list type="bullet">
/// <item>Only requests not yet issued, approved or denied are looked at.</item>
/// <item>A request for <c>kubernetes.io/kube-apiserver-client-kubelet</c> that is a kubelet client request
/// (<see cref="Signers.ValidateKubeletClient"/>) is recognised as <c>selfnodeclient</c> when the requester is the node
/// named in it (spec.username equals the CN), and as <c>nodeclient</c> in any case, in that order.</item>
/// <item>For each recognition, a SubjectAccessReview for the requester (spec.username, uid, groups, extra) asks for
/// <c>create</c> on <c>certificatesigningrequests/&lt;that&gt;</c> in <c>certificates.k8s.io</c>; the first allowed one
/// appends the condition Approved (reason <c>AutoApproved</c>) through <c>/approval</c>.</item>
/// <item>A <c>kubernetes.io/kubelet-serving</c> request (<see cref="Signers.ValidateKubeletServing"/>) is approved
/// (reason <c>AutoApproved</c>) when its requester is the node it names: spec.username equals the CN and spec.groups
/// holds <c>system:nodes</c>. Upstream leaves these to an external approver; approving a node's own serving
/// certificate, whose names are only DNS names and IPs, is this project's k3s-like choice so that a kubelet gets a
/// certificate from the cluster CA with no operator step.</item>
/// <item>Recognised but not allowed: looked at again after a per-request exponential back-off (upstream's ignorable
/// error), since a binding may be added later. Not recognised, or not a readable request: left for a person.</item>
/// </list>
/// </summary>
internal sealed partial class CsrApprovingController : QueueController
{
    public const string Reason = "AutoApproved";
    public const string NodeClientMessage = "Auto approving kubelet client certificate after SubjectAccessReview.";
    public const string SelfNodeClientMessage = "Auto approving self kubelet client certificate after SubjectAccessReview.";
    public const string SelfNodeServingMessage = "Auto approving self kubelet serving certificate.";

    private static readonly (string Subresource, string Message, bool Self)[] Recognizers =
    [
        ("selfnodeclient", SelfNodeClientMessage, true),
        ("nodeclient", NodeClientMessage, false),
    ];

    private readonly Lister<V1CertificateSigningRequest> _csrs;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly ICsrApi _api;
    // Paces the retries of requests that were recognised but not allowed, without the error log of a failure.
    private readonly ItemExponentialFailureRateLimiter<string> _notAllowed = new ItemExponentialFailureRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));

    internal CsrApprovingController(Lister<V1CertificateSigningRequest> csrs, IReadOnlyList<ISharedInformer> informers, ICsrApi api, TimeProvider time, ILogger logger)
        : base(CertificateControllers.ApprovingControllerName, time, logger)
    {
        _csrs = csrs;
        _informers = informers;
        _api = api;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    public static CsrApprovingController Create(ControllerContext context)
    {
        var csrs = context.Informers.GetInformer<V1CertificateSigningRequest>();
        var controller = new CsrApprovingController(csrs.Lister, [csrs], new KubernetesCsrApi(context.Client), context.Time, context.Loggers.CreateLogger(CertificateControllers.ApprovingControllerName));
        csrs.AddEventHandler(controller.EnqueueOnChange<V1CertificateSigningRequest>());
        return controller;
    }

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _csrs.Get(key);
        if (cached is null || CsrConditions.IsIssued(cached) || CsrConditions.Decision(cached) != (false, false))
        {
            _notAllowed.Forget(key);
            return ReconcileResult.Done;
        }

        if (cached.Spec?.SignerName is not (Signers.KubeApiServerClientKubelet or Signers.KubeletServing))
        {
            return ReconcileResult.Done;
        }

        var request = SigningRequest.Parse(cached.Spec.Request ?? [], out var error);
        if (request is null)
        {
            // Upstream's API validation refuses such a request at creation; here it is left for a person to deny.
            Log.Unreadable(Logger, key, error ?? "");
            return ReconcileResult.Done;
        }

        if (cached.Spec.SignerName == Signers.KubeletServing)
        {
            if (Signers.ValidateKubeletServing(request, cached.Spec.Usages ?? []) is not null || cached.Spec.Username != request.CommonName
                || !(cached.Spec.Groups ?? []).Contains(Signers.NodesGroup))
            {
                return ReconcileResult.Done;
            }

            await ApproveAsync(cached, key, "selfnodeserving", SelfNodeServingMessage, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (Signers.ValidateKubeletClient(request, cached.Spec.Usages ?? []) is not null)
        {
            return ReconcileResult.Done;
        }

        List<string> tried = [];
        foreach (var (subresource, message, self) in Recognizers)
        {
            if (self && cached.Spec.Username != request.CommonName)
            {
                continue;
            }

            tried.Add(subresource);
            if (!await _api.ReviewAsync(Review(cached.Spec, subresource), cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            await ApproveAsync(cached, key, subresource, message, cancellationToken).ConfigureAwait(false);
            _notAllowed.Forget(key);
            return ReconcileResult.Done;
        }

        Log.NotAllowed(Logger, key, tried);
        return ReconcileResult.RequeueAfter(_notAllowed.When(key));
    }

    private async Task ApproveAsync(V1CertificateSigningRequest cached, string key, string permission, string message, CancellationToken cancellationToken)
    {
        // Never change the cache's shared instance.
        var csr = KubernetesJson.Deserialize<V1CertificateSigningRequest>(KubernetesJson.Serialize(cached));
        csr.Status ??= new V1CertificateSigningRequestStatus();
        csr.Status.Conditions = [.. csr.Status.Conditions ?? [], new V1CertificateSigningRequestCondition { Type = CsrConditions.Approved, Status = "True", Reason = Reason, Message = message }];
        if (await _api.UpdateApprovalAsync(csr, cancellationToken).ConfigureAwait(false))
        {
            Log.Approved(Logger, key, permission);
        }
    }

    private static V1SubjectAccessReview Review(V1CertificateSigningRequestSpec spec, string subresource) => new()
    {
        ApiVersion = "authorization.k8s.io/v1",
        Kind = "SubjectAccessReview",
        Spec = new V1SubjectAccessReviewSpec
        {
            User = spec.Username,
            Uid = spec.Uid,
            Groups = spec.Groups,
            Extra = spec.Extra,
            ResourceAttributes = new V1ResourceAttributes
            {
                Group = "certificates.k8s.io",
                Resource = "certificatesigningrequests",
                Verb = "create",
                Subresource = subresource,
                Version = "*",
            },
        },
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Approved certificate signing request {Name} ({Permission})")]
        public static partial void Approved(ILogger logger, string name, string permission);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Recognized certificate signing request {Name} as {Permissions}, but the subject access review was not approved")]
        public static partial void NotAllowed(ILogger logger, string name, IReadOnlyList<string> permissions);

        [LoggerMessage(Level = LogLevel.Information, Message = "Certificate signing request {Name} is not readable, not auto-approving it: {Error}")]
        public static partial void Unreadable(ILogger logger, string name, string error);
    }
}
