using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;

namespace Kubesharp.Kubelet.Server;

/// <summary>
/// Where the runtime serves an exec or attach session: the CRI's <c>Exec</c> and <c>Attach</c> return a one-use URL
/// on the runtime's streaming server (containerd's is upstream's kubelet streaming package: WebSocket with
/// <c>channel.k8s.io</c> and <c>v4.channel.k8s.io</c>, or SPDY). Failures throw (gRPC errors); the caller answers 500.
/// </summary>
public interface IStreamingRuntime
{
    Task<Uri> ExecUrlAsync(ExecRequest request, CancellationToken cancellationToken);

    Task<Uri> AttachUrlAsync(AttachRequest request, CancellationToken cancellationToken);
}

/// <summary>The CRI's streaming calls.</summary>
public sealed class CriStreamingRuntime(CriClient cri) : IStreamingRuntime
{
    public async Task<Uri> ExecUrlAsync(ExecRequest request, CancellationToken cancellationToken) =>
        new(await cri.ExecAsync(request, cancellationToken).ConfigureAwait(false));

    public async Task<Uri> AttachUrlAsync(AttachRequest request, CancellationToken cancellationToken) =>
        new(await cri.AttachAsync(request, cancellationToken).ConfigureAwait(false));
}
