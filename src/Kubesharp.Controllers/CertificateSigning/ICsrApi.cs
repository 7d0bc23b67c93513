using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.Controllers.CertificateSigning;

/// <summary>
/// The API calls of the CSR controllers. The writes return false when the request lost to a concurrent change
/// (409) or is gone (404): the informer's next event brings its key back. Any other failure throws, and the work
/// queue retries the key with back-off.
/// </summary>
internal interface ICsrApi
{
    /// <summary>Creates the SubjectAccessReview and returns <c>status.allowed</c>.</summary>
    Task<bool> ReviewAsync(V1SubjectAccessReview review, CancellationToken cancellationToken);

    /// <summary>PUT <c>/approval</c>.</summary>
    Task<bool> UpdateApprovalAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken);

    /// <summary>PUT <c>/status</c>.</summary>
    Task<bool> UpdateStatusAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken);
}

internal sealed class KubernetesCsrApi(IKubernetes client) : ICsrApi
{
    public async Task<bool> ReviewAsync(V1SubjectAccessReview review, CancellationToken cancellationToken)
    {
        var answer = await client.AuthorizationV1.CreateSubjectAccessReviewAsync(review, cancellationToken: cancellationToken).ConfigureAwait(false);
        return answer.Status?.Allowed == true;
    }

    public Task<bool> UpdateApprovalAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken) =>
        WriteAsync(() => client.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(csr, csr.Metadata.Name, cancellationToken: cancellationToken));

    public Task<bool> UpdateStatusAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken) =>
        WriteAsync(() => client.CertificatesV1.ReplaceCertificateSigningRequestStatusAsync(csr, csr.Metadata.Name, cancellationToken: cancellationToken));

    private static async Task<bool> WriteAsync<T>(Func<Task<T>> write)
    {
        try
        {
            await write().ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
