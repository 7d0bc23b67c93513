using System.Collections.Frozen;
using Kubesharp.Api.Patch.Schema;

namespace Kubesharp.Api.Patch;

/// <summary>
/// The strategic merge patch metadata of one kind: which lists merge on which key, which scalar lists are
/// sets, which fields carry <c>retainKeys</c>. It is data transcribed from the <c>patchStrategy</c> and
/// <c>patchMergeKey</c> struct tags of Kubernetes v1.32, not reflection, and covers ObjectMeta and the kinds
/// of <c>core/v1</c>, <c>apps/v1</c> and <c>batch/v1</c>. Instances are immutable and safe to share.
/// </summary>
/// <remarks>
/// Upstream serves strategic merge patch for every built-in kind and answers 415 UnsupportedMediaType to it
/// for custom resources, whose patch types are only <c>application/json-patch+json</c>,
/// <c>application/merge-patch+json</c> and <c>application/apply-patch+yaml</c>. So: a kind for which
/// <see cref="ForKind"/> returns null is either a custom resource (refuse the request with 415 before reading
/// the body) or a built-in kind outside these tables (patch it with <see cref="ObjectMetaOnly"/>, whose lists
/// then are replaced rather than merged). A subresource is patched with the schema of the kind it serves:
/// the kind's own for <c>status</c>, <c>autoscaling/v1 Scale</c> (no table: <see cref="ObjectMetaOnly"/>)
/// for <c>scale</c>.
/// </remarks>
public sealed class PatchSchema
{
    private static readonly FrozenDictionary<(string Group, string Version, string Kind), PatchSchema> ByKind =
        CoreV1PatchTypes.Kinds.Select(k => ("", "v1", k.Kind, k.Root))
            .Concat(AppsV1PatchTypes.Kinds.Select(k => ("apps", "v1", k.Kind, k.Root)))
            .Concat(BatchV1PatchTypes.Kinds.Select(k => ("batch", "v1", k.Kind, k.Root)))
            .ToFrozenDictionary(k => (k.Item1, k.Item2, k.Item3), k => new PatchSchema(k.Item4));

    private PatchSchema(PatchType root) => Root = root;

    /// <summary>
    /// Any object with a standard <c>metadata</c> and no other known metadata: owner references merge on
    /// <c>uid</c> and finalizers are a set; every other list is replaced.
    /// </summary>
    public static PatchSchema ObjectMetaOnly { get; } = new(MetaV1PatchTypes.Root("io.k8s.apimachinery.pkg.apis.meta.v1.Object"));

    internal PatchType Root { get; }

    /// <summary>The schema of a kind from the tables, or null when they do not have it (custom resources among others).</summary>
    /// <param name="group">API group, <c>""</c> for core.</param>
    public static PatchSchema? ForKind(string group, string version, string kind) =>
        ByKind.GetValueOrDefault((group, version, kind));

    public override string ToString() => Root.Name;
}
