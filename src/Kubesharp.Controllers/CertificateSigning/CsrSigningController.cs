using System.Text;
using k8s;
using k8s.Models;
using Kubesharp.Api.Certificates;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.CertificateSigning;

/// <summary>
/// Upstream's <c>csrsigning</c> controller (<c>pkg/controller/certificates/signer/signer.go</c>) for the signers
/// <c>kubernetes.io/kube-apiserver-client-kubelet</c>, <c>kubernetes.io/kube-apiserver-client</c> and
/// <c>kubernetes.io/kubelet-serving</c>, with the cluster CA.
/// <list type="bullet">
/// <item>Only requests for those signers that are approved, not denied, not Failed and not yet issued are signed.</item>
/// <item>A request the signer does not accept (<see cref="Signers"/>) gets the condition Failed, reason
/// <c>SignerValidationFailure</c>, through <c>/status</c>, and is not retried.</item>
/// <item>The certificate is for the request's subject, key and subject alternative names, with the usages it asks
/// for, valid from five minutes ago for <see cref="Duration"/>, never past the CA; it is written PEM-encoded to
/// <c>status.certificate</c> through <c>/status</c>.</item>
/// </list>
/// </summary>
internal sealed partial class CsrSigningController : QueueController
{
    public const string ValidationFailureReason = "SignerValidationFailure";

    // Upstream's signer: backdate five minutes, and keep the full lifetime for certificates shorter than eight hours.
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Short = TimeSpan.FromHours(8);
    private static readonly TimeSpan MinimumDuration = TimeSpan.FromMinutes(10);

    private readonly Lister<V1CertificateSigningRequest> _csrs;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly ICsrApi _api;
    private readonly ClusterSigning _signing;

    internal CsrSigningController(Lister<V1CertificateSigningRequest> csrs, IReadOnlyList<ISharedInformer> informers, ICsrApi api, ClusterSigning signing, TimeProvider time, ILogger logger)
        : base(CertificateControllers.SigningControllerName, time, logger)
    {
        _csrs = csrs;
        _informers = informers;
        _api = api;
        _signing = signing;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    public static CsrSigningController Create(ControllerContext context, ClusterSigning signing)
    {
        var csrs = context.Informers.GetInformer<V1CertificateSigningRequest>();
        var controller = new CsrSigningController(csrs.Lister, [csrs], new KubernetesCsrApi(context.Client), signing, context.Time, context.Loggers.CreateLogger(CertificateControllers.SigningControllerName));
        csrs.AddEventHandler(controller.EnqueueOnChange<V1CertificateSigningRequest>());
        return controller;
    }

    /// <summary>
    /// Upstream's <c>duration</c>: the configured duration, or <c>spec.expirationSeconds</c> when shorter, but never
    /// under ten minutes (twice the backdating).
    /// </summary>
    internal static TimeSpan Duration(TimeSpan configured, int? expirationSeconds)
    {
        if (expirationSeconds is not { } seconds)
        {
            return configured;
        }

        var requested = TimeSpan.FromSeconds(seconds);
        return requested > configured ? configured : requested < MinimumDuration ? MinimumDuration : requested;
    }

    /// <summary>Upstream's boundaries: NotBefore five minutes ago; NotAfter now + ttl for short certificates, else now + ttl - 5 minutes.</summary>
    internal static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Boundaries(DateTimeOffset now, TimeSpan ttl) =>
        (now - Backdate, ttl < Short ? now + ttl : now + ttl - Backdate);

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _csrs.Get(key);
        if (cached?.Spec is not { } spec || CsrConditions.IsIssued(cached) || !CsrConditions.IsApproved(cached) || CsrConditions.HasTrue(cached, CsrConditions.Failed))
        {
            return ReconcileResult.Done;
        }

        if (spec.SignerName is not (Signers.KubeApiServerClientKubelet or Signers.KubeApiServerClient or Signers.KubeletServing))
        {
            return ReconcileResult.Done;
        }

        var usages = spec.Usages ?? [];
        var request = SigningRequest.Parse(spec.Request ?? [], out var unreadable);
        // Upstream's API validation refuses an unreadable request at creation; this API server does not yet, so the
        // signer fails it rather than retrying forever.
        var invalid = request is null ? "unable to parse csr: " + unreadable
            : spec.SignerName == Signers.KubeApiServerClientKubelet ? Signers.ValidateKubeletClient(request, usages)
            : spec.SignerName == Signers.KubeletServing ? Signers.ValidateKubeletServing(request, usages)
            : Signers.ValidateApiServerClientUsages(usages);
        if (invalid is null && !KeyUsages.TryMap(usages, out _, out _, out var unmapped))
        {
            invalid = unmapped;
        }

        var csr = KubernetesJson.Deserialize<V1CertificateSigningRequest>(KubernetesJson.Serialize(cached));
        csr.Status ??= new V1CertificateSigningRequestStatus();
        if (invalid is not null || request is null)
        {
            csr.Status.Conditions = [.. csr.Status.Conditions ?? [], new V1CertificateSigningRequestCondition
            {
                Type = CsrConditions.Failed,
                Status = "True",
                Reason = ValidationFailureReason,
                Message = invalid,
                LastUpdateTime = Time.GetUtcNow().UtcDateTime,
            }];
            if (await _api.UpdateStatusAsync(csr, cancellationToken).ConfigureAwait(false))
            {
                Log.Failed(Logger, key, invalid ?? "");
            }

            return ReconcileResult.Done;
        }

        KeyUsages.TryMap(usages, out var keyUsage, out var extended, out _);
        var (notBefore, notAfter) = Boundaries(Time.GetUtcNow(), Duration(_signing.Duration, spec.ExpirationSeconds));
        using var certificate = _signing.Authority.Sign(new CertificateTemplate(request.Subject, request.PublicKey, notBefore, notAfter)
        {
            KeyUsage = keyUsage,
            ExtendedKeyUsages = extended,
            SubjectAlternativeNames = request.SubjectAlternativeNames,
        });
        csr.Status.Certificate = Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n");
        var validUntil = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        if (await _api.UpdateStatusAsync(csr, cancellationToken).ConfigureAwait(false))
        {
            Log.Signed(Logger, key, spec.SignerName, validUntil);
        }

        return ReconcileResult.Done;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Signed certificate signing request {Name} for {Signer}, valid until {NotAfter:O}")]
        public static partial void Signed(ILogger logger, string name, string signer, DateTimeOffset notAfter);

        [LoggerMessage(Level = LogLevel.Information, Message = "Certificate signing request {Name} failed validation: {Reason}")]
        public static partial void Failed(ILogger logger, string name, string reason);
    }
}
