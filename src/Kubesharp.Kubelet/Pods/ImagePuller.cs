using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;

namespace Kubesharp.Kubelet.Pods;

/// <summary>Why a container's image is not there; <see cref="Reason"/> is the container's waiting reason.</summary>
public sealed class ImagePullException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// Gets a container's image per its <c>imagePullPolicy</c> (upstream's <c>pkg/kubelet/images</c>): Always pulls, IfNotPresent
/// pulls only when missing, Never refuses a missing image (<c>ErrImageNeverPull</c>). A failed pull is
/// <c>ErrImagePull</c>; while its back-off lasts the container waits in <c>ImagePullBackOff</c>. Credentials come from the
/// pod's <c>imagePullSecrets</c> (<c>kubernetes.io/dockerconfigjson</c> and <c>kubernetes.io/dockercfg</c>).
/// </summary>
public sealed class ImagePuller(CriClient cri, IKubernetes client, Backoff backoff, IEventRecorder events)
{
    /// <summary>Returns the image reference the runtime resolved <paramref name="container"/>'s image to.</summary>
    public async Task<string> EnsureAsync(V1Pod pod, V1Container container, PodSandboxConfig sandbox, CancellationToken cancellationToken)
    {
        var image = container.Image;
        if (string.IsNullOrWhiteSpace(image))
        {
            throw new ImagePullException("InvalidImageName", $"Failed to apply default image tag \"{image}\": couldn't parse image name \"{image}\": invalid reference format");
        }

        var policy = container.ImagePullPolicy ?? (HasLatestTag(image) ? "Always" : "IfNotPresent");
        var present = await cri.ImageStatusAsync(image, cancellationToken).ConfigureAwait(false);
        if (policy != "Always" && present is not null)
        {
            events.Event(pod, EventTypes.Normal, "Pulled", $"Container image \"{image}\" already present on machine");
            return present.Id;
        }

        if (policy == "Never")
        {
            var message = $"Container image \"{image}\" is not present with pull policy of Never";
            events.Event(pod, EventTypes.Warning, "ErrImageNeverPull", message);
            throw new ImagePullException("ErrImageNeverPull", message);
        }

        var key = $"{pod.Metadata.Uid}/{image}";
        if (backoff.IsInBackOffSinceUpdate(key))
        {
            var message = $"Back-off pulling image \"{image}\"";
            events.Event(pod, EventTypes.Normal, "BackOff", message);
            throw new ImagePullException("ImagePullBackOff", message);
        }

        events.Event(pod, EventTypes.Normal, "Pulling", $"Pulling image \"{image}\"");
        var watch = Stopwatch.StartNew();
        try
        {
            var auth = await CredentialsAsync(pod, image, cancellationToken).ConfigureAwait(false);
            var reference = await cri.PullImageAsync(image, auth, sandbox, cancellationToken).ConfigureAwait(false);
            var seconds = watch.Elapsed.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            var size = (await cri.ImageStatusAsync(reference, cancellationToken).ConfigureAwait(false))?.Size ?? 0;
            events.Event(pod, EventTypes.Normal, "Pulled", $"Successfully pulled image \"{image}\" in {seconds}s ({seconds}s including waiting). Image size: {size} bytes.");
            backoff.Reset(key);
            return reference;
        }
        catch (Grpc.Core.RpcException e) when (!CriClient.IsUnavailable(e))
        {
            backoff.Next(key);
            var message = $"Failed to pull image \"{image}\": {e.Status.Detail}";
            events.Event(pod, EventTypes.Warning, "Failed", message);
            events.Event(pod, EventTypes.Warning, "Failed", "Error: ErrImagePull");
            throw new ImagePullException("ErrImagePull", message);
        }
    }

    /// <summary>Upstream's rule: an image with no tag and no digest, or the tag <c>latest</c>, is pulled Always.</summary>
    public static bool HasLatestTag(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return false;
        }

        var lastSlash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon <= lastSlash || image[(colon + 1)..] == "latest";
    }

    /// <summary>The registry host of an image reference, as Docker resolves it (<c>docker.io</c> when the first part is not a host).</summary>
    public static string RegistryHost(string image)
    {
        var slash = image.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return "docker.io";
        }

        var first = image[..slash];
        return first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost" ? first : "docker.io";
    }

    private async Task<AuthConfig?> CredentialsAsync(V1Pod pod, string image, CancellationToken cancellationToken)
    {
        var host = RegistryHost(image);
        foreach (var reference in pod.Spec.ImagePullSecrets ?? [])
        {
            V1Secret secret;
            try
            {
                secret = await client.CoreV1.ReadNamespacedSecretAsync(reference.Name, pod.Namespace(), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                continue;
            }

            if (FindAuth(secret, host) is { } auth)
            {
                return auth;
            }
        }

        return null;
    }

    /// <summary>The entry of a docker config secret for <paramref name="host"/>, if any.</summary>
    public static AuthConfig? FindAuth(V1Secret secret, string host)
    {
        JsonElement auths;
        if (secret.Data?.TryGetValue(".dockerconfigjson", out var json) == true)
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("auths", out var a))
            {
                return null;
            }

            auths = a.Clone();
        }
        else if (secret.Data?.TryGetValue(".dockercfg", out var cfg) == true)
        {
            using var doc = JsonDocument.Parse(cfg);
            auths = doc.RootElement.Clone();
        }
        else
        {
            return null;
        }

        foreach (var entry in auths.EnumerateObject())
        {
            var key = entry.Name;
            var entryHost = key.Contains("://", StringComparison.Ordinal) ? new Uri(key).Authority : key.Split('/')[0];
            if (entryHost == "index.docker.io")
            {
                entryHost = "docker.io";
            }

            if (!string.Equals(entryHost, host, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var auth = new AuthConfig { ServerAddress = host };
            if (entry.Value.TryGetProperty("username", out var u))
            {
                auth.Username = u.GetString() ?? "";
            }

            if (entry.Value.TryGetProperty("password", out var p))
            {
                auth.Password = p.GetString() ?? "";
            }

            if (entry.Value.TryGetProperty("auth", out var basic) && basic.GetString() is { Length: > 0 } encoded && auth.Username.Length == 0)
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    auth.Username = decoded[..colon];
                    auth.Password = decoded[(colon + 1)..];
                }
            }

            return auth;
        }

        return null;
    }
}
