using k8s.Models;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>Typed objects for the unit tests.</summary>
internal static class Objects
{
    public static V1Namespace Namespace(string name, string phase = "Active", DateTime? deleted = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta { Name = name, Uid = "uid-" + name, ResourceVersion = "1", DeletionTimestamp = deleted },
        Spec = new V1NamespaceSpec { Finalizers = ["kubernetes"] },
        Status = new V1NamespaceStatus { Phase = phase },
    };

    public static V1ServiceAccount Account(string ns, string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = $"uid-{ns}-{name}" },
    };

    public static V1ConfigMap ConfigMap(string ns, string name, Dictionary<string, string>? data = null, Dictionary<string, string>? annotations = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, ResourceVersion = "7", Annotations = annotations },
        Data = data,
    };

    public static V1Pod Pod(string name, string? node = null, string phase = "Running", DateTime? created = null, DateTime? deleted = null, string? reason = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "default",
            Uid = "uid-" + name,
            CreationTimestamp = created ?? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            DeletionTimestamp = deleted,
        },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "i" }] },
        Status = new V1PodStatus { Phase = phase, Reason = reason },
    };

    public static V1Node Node(string name, bool ready = true, params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : taints },
        Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }] },
    };
}
