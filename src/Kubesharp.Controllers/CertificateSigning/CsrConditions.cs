using k8s.Models;

namespace Kubesharp.Controllers.CertificateSigning;

/// <summary>Reading and writing the conditions of a CertificateSigningRequest, as upstream's <c>pkg/controller/certificates</c> helpers.</summary>
internal static class CsrConditions
{
    public const string Approved = "Approved";
    public const string Denied = "Denied";
    public const string Failed = "Failed";

    /// <summary>
    /// Upstream's <c>GetCertApprovalCondition</c>: whether an Approved and whether a Denied condition is present,
    /// whatever its status (the API only lets <c>True</c> in).
    /// </summary>
    public static (bool Approved, bool Denied) Decision(V1CertificateSigningRequest csr)
    {
        var approved = false;
        var denied = false;
        foreach (var condition in csr.Status?.Conditions ?? [])
        {
            approved |= condition.Type == Approved;
            denied |= condition.Type == Denied;
        }

        return (approved, denied);
    }

    /// <summary>Upstream's <c>IsCertificateRequestApproved</c>: approved and not denied.</summary>
    public static bool IsApproved(V1CertificateSigningRequest csr) => Decision(csr) is (true, false);

    /// <summary>Upstream's <c>HasTrueCondition</c>.</summary>
    public static bool HasTrue(V1CertificateSigningRequest csr, string type) =>
        csr.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;

    public static bool IsIssued(V1CertificateSigningRequest csr) => csr.Status?.Certificate is { Length: > 0 };
}
