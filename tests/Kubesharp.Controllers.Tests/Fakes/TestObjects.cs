using k8s.Models;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>Objects for the tests, already defaulted as the API server would.</summary>
internal static class TestObjects
{
    public const string Ns = "default";

    public static V1PodTemplateSpec Template(string image = "nginx:1", Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Labels = labels ?? new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = image }] },
    };

    public static V1ReplicaSet ReplicaSet(string name, int replicas, Dictionary<string, string>? selector = null, int minReadySeconds = 0) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "ReplicaSet",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns, Labels = new Dictionary<string, string>(selector ?? new() { ["app"] = "web" }) },
        Spec = new V1ReplicaSetSpec
        {
            Replicas = replicas,
            MinReadySeconds = minReadySeconds,
            Selector = new V1LabelSelector { MatchLabels = selector ?? new Dictionary<string, string> { ["app"] = "web" } },
            Template = Template(labels: selector),
        },
    };

    public static V1Pod Pod(string name, Dictionary<string, string>? labels = null, V1OwnerReference? owner = null, string? node = null, string phase = "Pending", bool ready = false, DateTime? readySince = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = Ns,
            Labels = labels ?? new Dictionary<string, string> { ["app"] = "web" },
            OwnerReferences = owner is null ? null : [owner],
        },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "nginx:1" }] },
        Status = new V1PodStatus
        {
            Phase = phase,
            Conditions = ready ? [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = readySince }] : null,
        },
    };

    public static V1OwnerReference OwnerRef(V1ReplicaSet rs) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "ReplicaSet",
        Name = rs.Metadata.Name,
        Uid = rs.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>Marks a pod Running and Ready since <paramref name="since"/>, as a kubelet would.</summary>
    public static void MakeReady(V1Pod pod, DateTime since)
    {
        pod.Status ??= new V1PodStatus();
        pod.Status.Phase = "Running";
        pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = since }];
    }
}
