using Kubesharp.Api.Certificates;

namespace Kubesharp.Controllers.CertificateSigning;

/// <summary>
/// The built-in signers this controller manager signs for, and what each accepts (upstream's
/// <c>pkg/apis/certificates</c> helpers and <c>pkg/controller/certificates/signer</c>). Validation failures are
/// values with upstream's messages, since users see them in the Failed condition.
/// </summary>
internal static class Signers
{
    public const string KubeApiServerClientKubelet = "kubernetes.io/kube-apiserver-client-kubelet";
    public const string KubeApiServerClient = "kubernetes.io/kube-apiserver-client";
    public const string KubeletServing = "kubernetes.io/kubelet-serving";

    public const string NodesGroup = "system:nodes";
    public const string NodeUserPrefix = "system:node:";

    private static readonly string[] KubeletClientUsages = [KeyUsages.ClientAuth, KeyUsages.DigitalSignature, KeyUsages.KeyEncipherment];
    private static readonly string[] KubeletClientUsagesNoRsa = [KeyUsages.ClientAuth, KeyUsages.DigitalSignature];

    /// <summary>
    /// Upstream's <c>ValidateKubeletClientCSR</c>: subject O exactly <c>system:nodes</c>, no subject alternative names,
    /// CN starting <c>system:node:</c>, and usages exactly client auth and digital signature, with key encipherment or
    /// without (ECDSA keys do not encipher). Null when it is a kubelet client request, otherwise why not.
    /// </summary>
    public static string? ValidateKubeletClient(SigningRequest request, IEnumerable<string> usages)
    {
        if (request.Organizations is not [NodesGroup])
        {
            return "subject organization is not system:nodes";
        }

        if (request.DnsNames.Count > 0)
        {
            return "DNS subjectAltNames are not allowed";
        }

        if (request.EmailAddresses.Count > 0)
        {
            return "Email subjectAltNames are not allowed";
        }

        if (request.IpAddresses.Count > 0)
        {
            return "IP subjectAltNames are not allowed";
        }

        if (request.Uris.Count > 0)
        {
            return "URI subjectAltNames are not allowed";
        }

        if (!request.CommonName.StartsWith(NodeUserPrefix, StringComparison.Ordinal))
        {
            return "subject common name does not begin with system:node:";
        }

        var set = usages.ToHashSet(StringComparer.Ordinal);
        if (!set.SetEquals(KubeletClientUsages) && !set.SetEquals(KubeletClientUsagesNoRsa))
        {
            return $"usages did not match [{string.Join(' ', KubeletClientUsages)}]";
        }

        return null;
    }

    private static readonly string[] KubeletServingUsages = [KeyUsages.ServerAuth, KeyUsages.DigitalSignature, KeyUsages.KeyEncipherment];
    private static readonly string[] KubeletServingUsagesNoRsa = [KeyUsages.ServerAuth, KeyUsages.DigitalSignature];

    /// <summary>
    /// Upstream's <c>ValidateKubeletServingCSR</c>: subject O exactly <c>system:nodes</c>, CN starting <c>system:node:</c>,
    /// at least one DNS or IP subject alternative name and no email or URI ones, and usages exactly server auth and
    /// digital signature, with key encipherment or without. Null when it is a kubelet serving request, otherwise why not.
    /// </summary>
    public static string? ValidateKubeletServing(SigningRequest request, IEnumerable<string> usages)
    {
        if (request.Organizations is not [NodesGroup])
        {
            return "subject organization is not system:nodes";
        }

        if (request.DnsNames.Count == 0 && request.IpAddresses.Count == 0)
        {
            return "DNS or IP subjectAltName is required";
        }

        if (request.EmailAddresses.Count > 0)
        {
            return "Email subjectAltNames are not allowed";
        }

        if (request.Uris.Count > 0)
        {
            return "URI subjectAltNames are not allowed";
        }

        if (!request.CommonName.StartsWith(NodeUserPrefix, StringComparison.Ordinal))
        {
            return "subject common name does not begin with system:node:";
        }

        var set = usages.ToHashSet(StringComparer.Ordinal);
        if (!set.SetEquals(KubeletServingUsages) && !set.SetEquals(KubeletServingUsagesNoRsa))
        {
            return $"usages did not match [{string.Join(' ', KubeletServingUsages)}]";
        }

        return null;
    }

    /// <summary>Upstream's <c>validAPIServerClientUsages</c>: client auth required, digital signature and key encipherment allowed, nothing else.</summary>
    public static string? ValidateApiServerClientUsages(IEnumerable<string> usages)
    {
        var clientAuth = false;
        foreach (var usage in usages)
        {
            switch (usage)
            {
                case KeyUsages.DigitalSignature or KeyUsages.KeyEncipherment:
                    break;
                case KeyUsages.ClientAuth:
                    clientAuth = true;
                    break;
                default:
                    return $"invalid usage for client certificate: {usage}";
            }
        }

        return clientAuth ? null : $"missing required usage for client certificate: {KeyUsages.ClientAuth}";
    }
}
