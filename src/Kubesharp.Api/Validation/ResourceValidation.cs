using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Quantities;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's rules for resource names and quantities (<c>validateResourceRequirements</c>,
/// <c>ValidateResourceQuantityValue</c>, <c>pkg/apis/core/helper</c>'s resource name sets).
/// </summary>
internal static class ResourceValidation
{
    private static readonly HashSet<string> StandardResources = new(StringComparer.Ordinal)
    {
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage", "limits.cpu",
        "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas", "services", "replicationcontrollers", "secrets",
        "configmaps", "persistentvolumeclaims", "storage", "requests.storage", "services.nodeports", "services.loadbalancers",
    };

    private static readonly HashSet<string> StandardContainerResources = new(StringComparer.Ordinal) { "cpu", "memory", "ephemeral-storage" };

    private static readonly HashSet<string> IntegerResources = new(StringComparer.Ordinal)
    {
        "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps", "persistentvolumeclaims",
        "services.nodeports", "services.loadbalancers",
    };

    /// <summary>A quantity as upstream decodes it from JSON (a string, trimmed, or a number), or null when it is absent or malformed.</summary>
    public static Quantity? Read(JsonNode? node) => TryRead(node, out var q, out _) ? q : null;

    /// <summary>Upstream's <c>Quantity.UnmarshalJSON</c>: a JSON string (trimmed) or a JSON number; the error is upstream's.</summary>
    public static bool TryRead(JsonNode? node, out Quantity quantity, out string? error)
    {
        quantity = default;
        error = null;
        if (node is null)
        {
            return false;
        }

        var text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>().Trim() : node.ToJsonString();
        return Quantity.TryParse(text, out quantity, out error);
    }

    /// <summary>Upstream's <c>ValidateContainerResourceRequirements</c>.</summary>
    public static void Container(JsonObject? resources, string path, Causes causes)
    {
        var limits = Entries(Json.Obj(resources, "limits"));
        var requests = Entries(Json.Obj(resources, "requests"));
        var limitPath = path + ".limits";
        var requestPath = path + ".requests";
        bool limitsCpuOrMemory = false, requestsCpuOrMemory = false, hugePages = false;
        foreach (var (name, quantity) in limits)
        {
            var at = $"{limitPath}[{name}]";
            ContainerResourceName(name, at, causes);
            QuantityValue(name, quantity, at, causes);
            hugePages |= name.StartsWith("hugepages-", StringComparison.Ordinal);
            limitsCpuOrMemory |= name is "cpu" or "memory";
        }

        foreach (var (name, quantity) in requests)
        {
            var at = $"{requestPath}[{name}]";
            ContainerResourceName(name, at, causes);
            QuantityValue(name, quantity, at, causes);
            var limit = limits.FirstOrDefault(l => l.Name == name);
            if (limit.Name is not null)
            {
                if (quantity is { } q && limit.Quantity is { } l)
                {
                    if (q.CompareTo(l) != 0 && !OvercommitAllowed(name))
                    {
                        causes.Invalid(requestPath, q.ToString(), $"must be equal to {name} limit of {l}");
                    }
                    else if (q.CompareTo(l) > 0)
                    {
                        causes.Invalid(requestPath, q.ToString(), $"must be less than or equal to {name} limit of {l}");
                    }
                }
            }
            else if (!OvercommitAllowed(name))
            {
                causes.Required(limitPath, "Limit must be set for non overcommitable resources");
            }

            hugePages |= name.StartsWith("hugepages-", StringComparison.Ordinal);
            requestsCpuOrMemory |= name is "cpu" or "memory";
        }

        if (hugePages && !limitsCpuOrMemory && !requestsCpuOrMemory)
        {
            causes.Forbidden(path, "HugePages require cpu or memory");
        }
    }

    /// <summary>Upstream's <c>ValidateResourceQuantityValue</c>: not negative, and whole for integer resources.</summary>
    public static void QuantityValue(string name, Quantity? quantity, string path, Causes causes)
    {
        if (quantity is not { } q)
        {
            return;
        }

        if (q.Sign < 0)
        {
            causes.Invalid(path, q.ToString(), "must be greater than or equal to 0");
        }

        if (IsInteger(name) && !q.IsWholeAtMilliPrecision())
        {
            // Upstream passes the Quantity struct itself, which its field errors print with %#v.
            causes.Invalid(path, new GoLiteral(q.GoSyntax()), "must be an integer");
        }
    }

    /// <summary>Upstream's <c>validateContainerResourceName</c>.</summary>
    public static void ContainerResourceName(string name, string path, Causes causes)
    {
        ResourceName(name, path, causes);
        if (!name.Contains('/', StringComparison.Ordinal))
        {
            if (!StandardContainerResources.Contains(name) && !name.StartsWith("hugepages-", StringComparison.Ordinal))
            {
                causes.Invalid(path, name, "must be a standard resource for containers");
            }
        }
        else if (!IsNative(name) && !IsExtended(name))
        {
            causes.Invalid(path, name, "doesn't follow extended resource name standard");
        }
    }

    /// <summary>Upstream's <c>validateResourceName</c>.</summary>
    public static void ResourceName(string name, string path, Causes causes)
    {
        var errs = Formats.QualifiedName(name);
        if (errs.Count > 0)
        {
            causes.InvalidEach(path, name, errs);
            return;
        }

        if (!name.Contains('/', StringComparison.Ordinal) && !StandardResources.Contains(name) && !name.StartsWith("hugepages-", StringComparison.Ordinal))
        {
            causes.Invalid(path, name, "must be a standard resource type or fully qualified");
        }
    }

    private static bool IsNative(string name) => !name.Contains('/', StringComparison.Ordinal) || name.Contains("kubernetes.io/", StringComparison.Ordinal);

    private static bool IsExtended(string name) =>
        !IsNative(name) && !name.StartsWith("requests.", StringComparison.Ordinal) && Formats.QualifiedName("requests." + name).Count == 0;

    private static bool OvercommitAllowed(string name) => IsNative(name) && !name.StartsWith("hugepages-", StringComparison.Ordinal);

    private static bool IsInteger(string name) => IntegerResources.Contains(name) || IsExtended(name);

    /// <summary>The entries of a <c>ResourceList</c>; a quantity that does not parse reads as null (decoding refused it already).</summary>
    public static List<(string Name, Quantity? Quantity)> Entries(JsonObject? list) =>
        list is null ? [] : [.. list.Select(p => (p.Key, Read(p.Value)))];
}
