using k8s;
using k8s.Models;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Controllers.Common;

/// <summary>Small helpers over object metadata, copies and selectors.</summary>
internal static class Objects
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    /// <summary>A deep copy (informer objects are shared and read-only).</summary>
    public static T DeepCopy<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));

    public static IReadOnlyDictionary<string, string> Labels(IKubernetesObject<V1ObjectMeta> obj) => Labels(obj.Metadata?.Labels);

    public static IReadOnlyDictionary<string, string> Labels(IDictionary<string, string>? labels) => labels switch
    {
        null => NoLabels,
        IReadOnlyDictionary<string, string> readOnly => readOnly,
        _ => new Dictionary<string, string>(labels),
    };

    /// <summary>The ownerReference with <c>controller: true</c>, if any (<c>metav1.GetControllerOf</c>).</summary>
    public static V1OwnerReference? ControllerOf(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata?.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    public static bool SameOwnerReference(V1OwnerReference? a, V1OwnerReference? b) =>
        a is null ? b is null : b is not null
            && a.ApiVersion == b.ApiVersion && a.Kind == b.Kind && a.Name == b.Name && a.Uid == b.Uid
            && a.Controller == b.Controller && a.BlockOwnerDeletion == b.BlockOwnerDeletion;

    public static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        var x = Labels(a);
        var y = Labels(b);
        return x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    /// <summary><c>metav1.NewControllerRef</c>: the reference a controller puts on what it creates.</summary>
    public static V1OwnerReference ControllerRef(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>
    /// <c>metav1.LabelSelectorAsSelector</c>: null matches nothing, empty matches everything.
    /// </summary>
    /// <exception cref="Kubesharp.Api.Errors.StatusException">The selector is invalid.</exception>
    public static LabelSelector Selector(V1LabelSelector? selector) => LabelSelector.FromModel(selector);

    public static long Generation(IKubernetesObject<V1ObjectMeta> obj) => obj.Metadata?.Generation ?? 0;
}
