namespace Kubesharp.Api.Patch.Schema;

/// <summary>Patch metadata of <c>meta/v1</c> (k8s.io/apimachinery/pkg/apis/meta/v1/types.go, v1.32).</summary>
internal static class MetaV1PatchTypes
{
    internal static readonly PatchType ObjectMeta = new("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        PatchField.MergeList("ownerReferences", "uid"),
        PatchField.MergeScalars("finalizers"));

    /// <summary>A kind whose only patch metadata is its <c>metadata</c>.</summary>
    internal static PatchType Root(string name, params PatchField[] fields) =>
        new(name, [PatchField.Object("metadata", ObjectMeta), .. fields]);
}
