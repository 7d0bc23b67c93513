using Kubesharp.Controllers.CertificateSigning;
using Kubesharp.Controllers.Tokens;

namespace Kubesharp.Controllers;

/// <summary>
/// The controllers that need signing material the others do not: the tokens controller (the service account
/// signing key and the root CA) and the CSR signer (the cluster CA), with the CSR approver beside them.
/// The controller manager loads the material from its flags and calls <see cref="Create"/>.
/// </summary>
public static partial class CertificateControllers
{
    /// <summary>Upstream's <c>serviceaccount-token-controller</c>.</summary>
    public const string TokensControllerName = "serviceaccount-token-controller";

    /// <summary>Upstream's <c>certificatesigningrequest-approving-controller</c> (alias <c>csrapproving</c>).</summary>
    public const string ApprovingControllerName = "certificatesigningrequest-approving-controller";

    /// <summary>Upstream's <c>certificatesigningrequest-signing-controller</c> (alias <c>csrsigning</c>).</summary>
    public const string SigningControllerName = "certificatesigningrequest-signing-controller";

    /// <summary>Those that need no signing material (the CSR approver): <c>Create(null, null)</c>.</summary>
    public static IReadOnlyList<ControllerDescriptor> All { get; } = Create(null, null);

    /// <summary>
    /// The tokens controller when <paramref name="tokens"/> is given (upstream skips it without
    /// <c>--service-account-private-key-file</c>), the CSR approver always, and the CSR signer when
    /// <paramref name="ca"/> is given (upstream's <c>--cluster-signing-cert-file</c>/<c>--cluster-signing-key-file</c>).
    /// </summary>
    public static IReadOnlyList<ControllerDescriptor> Create(ServiceAccountSigning? tokens, ClusterSigning? ca)
    {
        List<ControllerDescriptor> descriptors = [];
        if (tokens is not null)
        {
            descriptors.Add(new ControllerDescriptor(TokensControllerName, context => TokensController.Create(context, tokens)));
        }

        descriptors.Add(new ControllerDescriptor(ApprovingControllerName, CsrApprovingController.Create));
        if (ca is not null)
        {
            descriptors.Add(new ControllerDescriptor(SigningControllerName, context => CsrSigningController.Create(context, ca)));
        }

        return descriptors;
    }
}
