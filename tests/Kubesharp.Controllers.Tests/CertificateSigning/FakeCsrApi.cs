using k8s;
using k8s.Models;
using Kubesharp.Controllers.CertificateSigning;

namespace Kubesharp.Controllers.Tests.CertificateSigning;

/// <summary>A recording <see cref="ICsrApi"/> whose SubjectAccessReviews are answered by <see cref="Allow"/>; writes succeed.</summary>
internal sealed class FakeCsrApi : ICsrApi
{
    public Func<V1SubjectAccessReview, bool> Allow { get; set; } = _ => false;

    public List<V1SubjectAccessReview> Reviews { get; } = [];

    public List<V1CertificateSigningRequest> Approvals { get; } = [];

    public List<V1CertificateSigningRequest> StatusUpdates { get; } = [];

    public Task<bool> ReviewAsync(V1SubjectAccessReview review, CancellationToken cancellationToken)
    {
        Reviews.Add(review);
        return Task.FromResult(Allow(review));
    }

    public Task<bool> UpdateApprovalAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken)
    {
        Approvals.Add(Copy(csr));
        return Task.FromResult(true);
    }

    public Task<bool> UpdateStatusAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken)
    {
        StatusUpdates.Add(Copy(csr));
        return Task.FromResult(true);
    }

    private static T Copy<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));
}
