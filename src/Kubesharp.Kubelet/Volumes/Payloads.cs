using System.Text;
using k8s.Models;
using Kubesharp.Kubelet.Env;

namespace Kubesharp.Kubelet.Volumes;

/// <summary>
/// The files of configMap, secret and downwardAPI volumes (and of the same projected sources): upstream's
/// <c>configmap.MakePayload</c>, <c>secret.MakePayload</c> and <c>downwardapi.CollectData</c>. Stateless; failures are
/// <see cref="PayloadException"/> with upstream's message.
/// </summary>
internal static class Payloads
{
    /// <summary>Upstream's default mode of every projecting volume (0644) when the API did not default it.</summary>
    public const int DefaultMode = 0x1A4;

    public static Dictionary<string, FileProjection> ConfigMap(IList<V1KeyToPath>? items, V1ConfigMap configMap, int defaultMode, bool optional)
    {
        var payload = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        if (items is null || items.Count == 0)
        {
            foreach (var (key, value) in configMap.Data ?? new Dictionary<string, string>())
            {
                payload[key] = new FileProjection(Encoding.UTF8.GetBytes(value), defaultMode);
            }

            foreach (var (key, value) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
            {
                payload[key] = new FileProjection(value, defaultMode);
            }

            return payload;
        }

        foreach (var item in items)
        {
            byte[] data;
            if (configMap.Data is not null && configMap.Data.TryGetValue(item.Key, out var text))
            {
                data = Encoding.UTF8.GetBytes(text);
            }
            else if (configMap.BinaryData is not null && configMap.BinaryData.TryGetValue(item.Key, out var binary))
            {
                data = binary;
            }
            else if (optional)
            {
                continue;
            }
            else
            {
                throw new PayloadException($"configmap references non-existent config key: {item.Key}");
            }

            payload[item.Path] = new FileProjection(data, item.Mode ?? defaultMode);
        }

        return payload;
    }

    public static Dictionary<string, FileProjection> Secret(IList<V1KeyToPath>? items, V1Secret secret, int defaultMode, bool optional)
    {
        var payload = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        var data = secret.Data ?? new Dictionary<string, byte[]>();
        if (items is null || items.Count == 0)
        {
            foreach (var (key, value) in data)
            {
                payload[key] = new FileProjection(value, defaultMode);
            }

            return payload;
        }

        foreach (var item in items)
        {
            if (!data.TryGetValue(item.Key, out var value))
            {
                if (optional)
                {
                    continue;
                }

                throw new PayloadException($"references non-existent secret key: {item.Key}");
            }

            payload[item.Path] = new FileProjection(value, item.Mode ?? defaultMode);
        }

        return payload;
    }

    /// <summary>
    /// Upstream's <c>downwardapi.CollectData</c>: every item is resolved (fieldRef through the shared
    /// <see cref="PodFields"/>, resourceFieldRef with limits defaulted to the node's allocatable); failures are collected
    /// and reported together as upstream's aggregate error.
    /// </summary>
    public static Dictionary<string, FileProjection> DownwardApi(IList<V1DownwardAPIVolumeFile>? items, V1Pod pod, int defaultMode,
        IReadOnlyDictionary<string, ResourceQuantity> nodeAllocatable)
    {
        var payload = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var item in items ?? [])
        {
            var data = "";
            try
            {
                if (item.FieldRef is { } fieldRef)
                {
                    data = PodFields.ExtractFieldPathAsString(pod, fieldRef.FieldPath ?? "");
                }
                else if (item.ResourceFieldRef is { } resourceRef)
                {
                    data = PodFields.ResourceValue(pod, resourceRef, defaultContainer: null, nodeAllocatable);
                }
            }
            catch (DownwardApiException e)
            {
                errors.Add(e.Message);
            }

            payload[item.Path] = new FileProjection(Encoding.UTF8.GetBytes(data), item.Mode ?? defaultMode);
        }

        if (errors.Count > 0)
        {
            throw new PayloadException(Aggregate(errors));
        }

        return payload;
    }

    /// <summary>Upstream's <c>utilerrors.NewAggregate(...).Error()</c>: one message alone, several in brackets.</summary>
    public static string Aggregate(IReadOnlyList<string> messages) =>
        messages.Count == 1 ? messages[0] : "[" + string.Join(", ", messages) + "]";
}

/// <summary>A volume's payload cannot be built; the message is upstream's.</summary>
internal sealed class PayloadException(string message) : Exception(message);
