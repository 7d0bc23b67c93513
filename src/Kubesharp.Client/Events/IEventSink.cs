using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.Client.Events;

/// <summary>
/// Where an <see cref="EventRecorder"/> writes core/v1 Events. A missing event on patch is a value
/// (null); anything else that fails throws, and the recorder retries a few times, then drops the event.
/// </summary>
public interface IEventSink
{
    Task<Corev1Event> CreateAsync(Corev1Event ev, CancellationToken cancellationToken);

    /// <summary>Sets <c>count</c> and <c>lastTimestamp</c> of an existing Event; null when it no longer exists.</summary>
    Task<Corev1Event?> PatchCountAsync(string ns, string name, int count, DateTime lastTimestamp, CancellationToken cancellationToken);
}

/// <summary><see cref="IEventSink"/> over the API: POST to create, a strategic merge PATCH to fold (as client-go's <c>EventSinkImpl</c>).</summary>
public sealed class KubernetesEventSink(IKubernetes client) : IEventSink
{
    public Task<Corev1Event> CreateAsync(Corev1Event ev, CancellationToken cancellationToken) =>
        client.CoreV1.CreateNamespacedEventAsync(ev, ev.Metadata.NamespaceProperty, cancellationToken: cancellationToken);

    public async Task<Corev1Event?> PatchCountAsync(string ns, string name, int count, DateTime lastTimestamp, CancellationToken cancellationToken)
    {
        var body = string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"count":{{count}},"lastTimestamp":"{{lastTimestamp.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'}}"}""");
        try
        {
            return await client.CoreV1.PatchNamespacedEventAsync(new V1Patch(body, V1Patch.PatchType.StrategicMergePatch), name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
