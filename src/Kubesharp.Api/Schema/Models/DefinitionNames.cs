using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Kubesharp.Api.Schema.Models;

/// <summary>
/// Upstream's OpenAPI definition names (<c>io.k8s.api.core.v1.PodSpec</c>) for the <c>KubernetesClient</c>
/// model classes. The class names keep the version (<c>V1PodSpec</c>) and, when two API packages define the
/// same name, a package prefix (<c>Corev1Event</c>, <c>Eventsv1Event</c>); the package of the other classes is
/// the group of the first kind that uses them (core first), except for the shared <c>meta/v1</c> types.
/// </summary>
internal static partial class DefinitionNames
{
    /// <summary>The classes that upstream defines in <c>k8s.io/apimachinery/pkg/apis/meta/v1</c>.</summary>
    private static readonly FrozenSet<string> MetaV1 = new[]
    {
        "APIGroup", "APIGroupList", "APIResource", "APIResourceList", "APIVersions", "Condition", "DeleteOptions",
        "FieldSelectorRequirement", "GroupVersionForDiscovery", "LabelSelector", "LabelSelectorRequirement", "ListMeta",
        "ManagedFieldsEntry", "ObjectMeta", "OwnerReference", "Patch", "Preconditions", "ServerAddressByClientCIDR",
        "Status", "StatusCause", "StatusDetails", "WatchEvent",
    }.ToFrozenSet(StringComparer.Ordinal);

    public const string IntOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

    public const string Quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity";

    [GeneratedRegex("^(?<label>[A-Z][a-z]+)?(?<version>[Vv][0-9]+(?:(?:alpha|beta)[0-9]+)?)(?<name>[A-Z][A-Za-z0-9]*)$")]
    private static partial Regex ClassName();

    /// <summary>The class's own package label (<c>core</c> for <c>Corev1Event</c>), version and upstream type name.</summary>
    public static (string? Label, string Version, string Name)? Parse(string className)
    {
        var m = ClassName().Match(className);
        if (!m.Success)
        {
            return null;
        }

        var label = m.Groups["label"].Success ? m.Groups["label"].Value.ToLowerInvariant() : null;
        return (label, m.Groups["version"].Value.ToLowerInvariant(), m.Groups["name"].Value);
    }

    /// <summary>True when upstream defines the class's type in meta/v1.</summary>
    public static bool IsMeta(string className) =>
        Parse(className) is { Label: null, Version: "v1" } p && MetaV1.Contains(p.Name);

    /// <summary>The package label of an API group: its first DNS label, <c>core</c> for the core group.</summary>
    public static string Label(string group) => group.Length == 0 ? "core" : group.Split('.')[0];

    /// <summary>The definition name of a type in a package label and version.</summary>
    public static string Qualified(string label, string version, string name) => label switch
    {
        "meta" => $"io.k8s.apimachinery.pkg.apis.meta.{version}.{name}",
        "apiextensions" => $"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{version}.{name}",
        "apiregistration" => $"io.k8s.kube-aggregator.pkg.apis.apiregistration.{version}.{name}",
        _ => $"io.k8s.api.{label}.{version}.{name}",
    };
}
