using System.Globalization;
using System.Text;
using k8s.Models;
using Kubesharp.Api.Quantities;
using Kubesharp.Api.Validation;

namespace Kubesharp.Kubelet.Env;

/// <summary>
/// The downward API, shared by environment variables (<c>valueFrom.fieldRef</c>, <c>valueFrom.resourceFieldRef</c>) and
/// downwardAPI/projected volume items: upstream's <c>fieldpath.ExtractFieldPathAsString</c>,
/// <c>ConvertDownwardAPIFieldLabel</c> and <c>pkg/api/v1/resource</c>'s container resource extraction. Stateless and
/// thread-safe; every failure is a <see cref="DownwardApiException"/> carrying upstream's message.
/// </summary>
internal static class PodFields
{
    /// <summary>
    /// Upstream's <c>fieldpath.ExtractFieldPathAsString</c>: the metadata fields a downwardAPI volume item may name
    /// (<c>metadata.name</c>, <c>namespace</c>, <c>uid</c>, <c>labels</c>, <c>annotations</c>, and one label or
    /// annotation by subscript).
    /// </summary>
    public static string ExtractFieldPathAsString(V1Pod pod, string fieldPath)
    {
        if (SplitSubscript(fieldPath) is var (path, subscript))
        {
            switch (path)
            {
                case "metadata.annotations":
                case "metadata.labels":
                    if (Formats.QualifiedName(subscript.ToLowerInvariant()) is { Count: > 0 } errs)
                    {
                        throw new DownwardApiException($"invalid key subscript in {fieldPath}: {string.Join(";", errs)}");
                    }

                    var map = path == "metadata.labels" ? pod.Metadata?.Labels : pod.Metadata?.Annotations;
                    return map is not null && map.TryGetValue(subscript, out var value) ? value : "";
                default:
                    throw new DownwardApiException($"fieldPath \"{fieldPath}\" does not support subscript");
            }
        }

        return fieldPath switch
        {
            "metadata.annotations" => FormatMap(pod.Metadata?.Annotations),
            "metadata.labels" => FormatMap(pod.Metadata?.Labels),
            "metadata.name" => pod.Metadata?.Name ?? "",
            "metadata.namespace" => pod.Metadata?.NamespaceProperty ?? "",
            "metadata.uid" => pod.Metadata?.Uid ?? "",
            _ => throw new DownwardApiException($"unsupported fieldPath: {fieldPath}"),
        };
    }

    /// <summary>
    /// The value of an environment variable's <c>fieldRef</c>, as upstream's kubelet <c>podFieldSelectorRuntimeValue</c>:
    /// the label is checked (<c>ConvertDownwardAPIFieldLabel</c>), then the runtime fields (node name, service account,
    /// host and pod IPs) are answered from the arguments and the rest from the pod's metadata.
    /// </summary>
    public static string EnvFieldValue(V1Pod pod, V1ObjectFieldSelector selector, IReadOnlyList<string> podIps, IReadOnlyList<string> hostIps)
    {
        var fieldPath = ConvertDownwardApiFieldLabel(string.IsNullOrEmpty(selector.ApiVersion) ? "v1" : selector.ApiVersion, selector.FieldPath ?? "");
        switch (fieldPath)
        {
            case "spec.nodeName":
                return pod.Spec?.NodeName ?? "";
            case "spec.serviceAccountName":
                return pod.Spec?.ServiceAccountName ?? "";
            case "status.hostIP":
                return hostIps.Count > 0 ? hostIps[0] : throw new DownwardApiException($"can't get ip address of node {pod.Spec?.NodeName}: no host IP known");
            case "status.hostIPs":
                return hostIps.Count > 0 ? string.Join(",", hostIps) : throw new DownwardApiException($"can't get ip address of node {pod.Spec?.NodeName}: no host IP known");
            case "status.podIP":
                return podIps.Count > 0 ? podIps[0] : "";
            case "status.podIPs":
                return string.Join(",", podIps);
            default:
                return ExtractFieldPathAsString(pod, fieldPath);
        }
    }

    /// <summary>Upstream's <c>ConvertDownwardAPIFieldLabel</c> for pods: which labels a <c>fieldRef</c> may name.</summary>
    public static string ConvertDownwardApiFieldLabel(string version, string label)
    {
        if (version != "v1")
        {
            throw new DownwardApiException($"unsupported pod version: {version}");
        }

        if (SplitSubscript(label) is var (path, _))
        {
            return path is "metadata.annotations" or "metadata.labels"
                ? label
                : throw new DownwardApiException($"field label does not support subscript: {label}");
        }

        return label switch
        {
            "metadata.annotations" or "metadata.labels" or "metadata.name" or "metadata.namespace" or "metadata.uid"
                or "spec.nodeName" or "spec.restartPolicy" or "spec.serviceAccountName" or "spec.schedulerName"
                or "status.phase" or "status.hostIP" or "status.hostIPs" or "status.podIP" or "status.podIPs" => label,
            // Old v1 clients sent spec.host.
            "spec.host" => "spec.nodeName",
            _ => throw new DownwardApiException($"field label not supported: {label}"),
        };
    }

    /// <summary>
    /// Upstream's <c>ExtractResourceValueByContainerNameAndNodeAllocatable</c>: the named container (app containers
    /// first, then init containers; <paramref name="defaultContainer"/> when the selector names none), its unset or
    /// zero cpu, memory and ephemeral-storage limits replaced by the node's allocatable, then the value divided by the
    /// divisor (1 when unset) and rounded up.
    /// </summary>
    public static string ResourceValue(V1Pod pod, V1ResourceFieldSelector selector, V1Container? defaultContainer, IReadOnlyDictionary<string, ResourceQuantity> nodeAllocatable)
    {
        V1Container? container;
        if (string.IsNullOrEmpty(selector.ContainerName))
        {
            container = defaultContainer ?? throw new DownwardApiException("container  not found");
        }
        else
        {
            container = (pod.Spec?.Containers ?? []).FirstOrDefault(c => c.Name == selector.ContainerName)
                ?? (pod.Spec?.InitContainers ?? []).FirstOrDefault(c => c.Name == selector.ContainerName)
                ?? throw new DownwardApiException($"container {selector.ContainerName} not found");
        }

        var divisor = selector.Divisor is { } d && !ToQuantity(d).IsZero ? ToQuantity(d) : Quantity.Parse("1");
        var resource = selector.Resource ?? "";
        string? kind = null;
        Quantity? value = null;
        if (resource.StartsWith("limits.", StringComparison.Ordinal))
        {
            kind = resource["limits.".Length..];
            value = Limit(container, kind, nodeAllocatable);
        }
        else if (resource.StartsWith("requests.", StringComparison.Ordinal))
        {
            kind = resource["requests.".Length..];
            value = Get(container.Resources?.Requests, kind);
        }

        return kind switch
        {
            "cpu" => Ceiling(value!.Value.MilliValue(), divisor.MilliValue()),
            "memory" or "ephemeral-storage" => Ceiling(value!.Value.Value(), divisor.Value()),
            _ when kind is not null && kind.StartsWith("hugepages-", StringComparison.Ordinal) => Ceiling(value!.Value.Value(), divisor.Value()),
            _ => throw new DownwardApiException($"unsupported container resource : {resource}"),
        };
    }

    // Upstream's MergeContainerResourceLimits: hugepages are never defaulted (they are never overcommitted).
    private static Quantity Limit(V1Container container, string kind, IReadOnlyDictionary<string, ResourceQuantity> nodeAllocatable)
    {
        var limit = Get(container.Resources?.Limits, kind);
        if (limit.IsZero && kind is "cpu" or "memory" or "ephemeral-storage" && nodeAllocatable.TryGetValue(kind, out var allocatable))
        {
            return ToQuantity(allocatable);
        }

        return limit;
    }

    private static Quantity Get(IDictionary<string, ResourceQuantity>? list, string kind) =>
        list is not null && list.TryGetValue(kind, out var q) && q is not null ? ToQuantity(q) : Quantity.Parse("0");

    private static Quantity ToQuantity(ResourceQuantity q) => Quantity.Parse(q.ToString());

    // Upstream converts to float64 and takes math.Ceil.
    private static string Ceiling(long value, long divisor) =>
        ((long)Math.Ceiling((double)value / divisor)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Upstream's <c>SplitMaybeSubscriptedPath</c>: <c>metadata.labels['key']</c> → (<c>metadata.labels</c>, <c>key</c>).</summary>
    private static (string Path, string Subscript)? SplitSubscript(string fieldPath)
    {
        if (!fieldPath.EndsWith("']", StringComparison.Ordinal))
        {
            return null;
        }

        var s = fieldPath[..^2];
        var parts = s.Split("['", 2);
        if (parts.Length < 2 || parts[0].Length == 0)
        {
            return null;
        }

        return (parts[0], parts[1]);
    }

    /// <summary>Upstream's <c>fieldpath.FormatMap</c>: <c>key="value"</c> lines sorted by key, values Go-quoted.</summary>
    public static string FormatMap(IDictionary<string, string>? map)
    {
        if (map is null || map.Count == 0)
        {
            return "";
        }

        return string.Join("\n", map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + GoQuote(kv.Value)));
    }

    /// <summary>Go's <c>strconv.Quote</c> (what <c>%q</c> prints for a string).</summary>
    public static string GoQuote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"':
                    sb.Append("\\\"");
                    continue;
                case '\\':
                    sb.Append("\\\\");
                    continue;
                case '\a':
                    sb.Append("\\a");
                    continue;
                case '\b':
                    sb.Append("\\b");
                    continue;
                case '\f':
                    sb.Append("\\f");
                    continue;
                case '\n':
                    sb.Append("\\n");
                    continue;
                case '\r':
                    sb.Append("\\r");
                    continue;
                case '\t':
                    sb.Append("\\t");
                    continue;
                case '\v':
                    sb.Append("\\v");
                    continue;
            }

            if (rune.Value == ' ' || IsGoPrint(rune))
            {
                sb.Append(rune.ToString());
            }
            else if (rune.Value < ' ' || rune.Value == 0x7f)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}");
            }
            else if (rune.Value < 0x10000)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:x4}");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\U{rune.Value:x8}");
            }
        }

        return sb.Append('"').ToString();
    }

    // Go's unicode.IsPrint: letters, marks, numbers, punctuation and symbols (spaces other than U+0020 are escaped).
    private static bool IsGoPrint(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator => false,
        _ => true,
    };
}

/// <summary>A downward API field or resource that cannot be resolved; the message is upstream's.</summary>
internal sealed class DownwardApiException(string message) : Exception(message);
