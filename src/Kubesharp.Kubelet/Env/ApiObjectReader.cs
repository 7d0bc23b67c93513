using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.Kubelet.Env;

/// <summary>
/// Reads the ConfigMaps and Secrets that pods reference, by name, through the API (the Node authorizer lets a kubelet
/// GET exactly those). Upstream's kubelet watches each referenced object (configMapAndSecretChangeDetectionStrategy
/// Watch); this reader does one GET per call, which the callers dedupe within one pod sync. Not-found is a value (null);
/// any other failure is an <see cref="ApiReadException"/> carrying the API's message. Thread-safe.
/// </summary>
internal sealed class ApiObjectReader(IKubernetes client)
{
    public async Task<V1ConfigMap?> ConfigMapAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            throw new ApiReadException(StatusMessage(e));
        }
        catch (HttpRequestException e)
        {
            throw new ApiReadException(e.Message);
        }
    }

    public async Task<V1Secret?> SecretAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            throw new ApiReadException(StatusMessage(e));
        }
        catch (HttpRequestException e)
        {
            throw new ApiReadException(e.Message);
        }
    }

    /// <summary>Upstream's kubelet managers answer a missing object as <c>configmap "x" not found</c> (singular resource).</summary>
    public static string ConfigMapNotFound(string name) => $"configmap \"{name}\" not found";

    public static string SecretNotFound(string name) => $"secret \"{name}\" not found";

    /// <summary>The <c>message</c> of the API's Status body, else the HTTP status.</summary>
    public static string StatusMessage(HttpOperationException e)
    {
        try
        {
            using var doc = JsonDocument.Parse(e.Response.Content ?? "");
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
            {
                return m.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not a Status body: fall through.
        }

        return $"the server responded with status {(int)e.Response.StatusCode}";
    }
}

/// <summary>A read through the API failed for a reason other than not-found; the message is the API's.</summary>
internal sealed class ApiReadException(string message) : Exception(message);
