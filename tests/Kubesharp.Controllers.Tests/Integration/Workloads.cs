using k8s.Models;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>Objects the integration tests create, as a user would write them (the server defaults the rest).</summary>
internal static class Workloads
{
    public static V1PodTemplateSpec Template(string image) => new()
    {
        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = image }] },
    };

    public static V1ReplicaSet ReplicaSet(string name, int replicas) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "ReplicaSet",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ReplicaSetSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = Template("nginx:1"),
        },
    };

    public static V1Deployment Deployment(string name, int replicas, string image, string maxSurge = "25%", string maxUnavailable = "25%") => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = Template(image),
            Strategy = new V1DeploymentStrategy
            {
                Type = "RollingUpdate",
                RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = maxSurge, MaxUnavailable = maxUnavailable },
            },
        },
    };

    public static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    public static bool OwnedBy(V1Pod pod, string uid) => pod.Metadata.OwnerReferences?.Any(r => r.Controller == true && r.Uid == uid) == true;

    /// <summary>The rollout is done as kubectl rollout status judges it, with every pod on <paramref name="image"/>.</summary>
    public static bool RolledOut(V1Deployment d, string image) =>
        d.Status is { } s
        && (s.ObservedGeneration ?? 0) >= (d.Metadata.Generation ?? 0)
        && (s.UpdatedReplicas ?? 0) == d.Spec.Replicas
        && (s.Replicas ?? 0) == d.Spec.Replicas
        && (s.AvailableReplicas ?? 0) == d.Spec.Replicas
        && d.Spec.Template.Spec.Containers[0].Image == image;
}
