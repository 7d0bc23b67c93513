using k8s.Models;
using Kubesharp.Controllers.StatefulSet;

namespace Kubesharp.Controllers.Tests.StatefulSet;

public sealed class StatefulPodsTests
{
    private static V1StatefulSet Set(int replicas = 3, int partition = 0, int? start = null, int currentReplicas = 0, bool rollingUpdate = true) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "ns", Uid = "uid" },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = "svc",
            Ordinals = start is null ? null : new V1StatefulSetOrdinals { Start = start },
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x" }], Volumes = [new V1Volume { Name = "config", EmptyDir = new V1EmptyDirVolumeSource() }, new V1Volume { Name = "data", EmptyDir = new V1EmptyDirVolumeSource() }] },
            },
            UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = rollingUpdate ? new V1RollingUpdateStatefulSetStrategy { Partition = partition } : null },
            VolumeClaimTemplates = [new V1PersistentVolumeClaim { Metadata = new V1ObjectMeta { Name = "data", Labels = new Dictionary<string, string> { ["tier"] = "db" } } }],
        },
        Status = new V1StatefulSetStatus { CurrentReplicas = currentReplicas },
    };

    [Theory]
    [InlineData("web-0", "web", 0)]
    [InlineData("web-12", "web", 12)]
    [InlineData("my-web-3", "my-web", 3)]
    [InlineData("web", "", -1)]
    [InlineData("web-", "", -1)]
    [InlineData("web-x1", "", -1)]
    [InlineData("web-99999999999", "", -1)]
    public void Parent_and_ordinal_come_from_the_name(string name, string parent, int ordinal) =>
        Assert.Equal((parent, ordinal), StatefulPods.ParentAndOrdinal(name));

    [Fact]
    public void A_new_pod_has_the_identity_and_storage_of_its_ordinal()
    {
        var pod = StatefulPods.New(Set(), 2);

        Assert.Equal(("web-2", "ns", "web-2", "svc"), (pod.Metadata.Name, pod.Metadata.NamespaceProperty, pod.Spec.Hostname, pod.Spec.Subdomain));
        Assert.Equal(("web-2", "2", "web"), (pod.Metadata.Labels["statefulset.kubernetes.io/pod-name"], pod.Metadata.Labels["apps.kubernetes.io/pod-index"], pod.Metadata.Labels["app"]));
        // The claim template's volume points at the pod's claim; other volumes stay.
        Assert.Equal(["data:data-web-2", "config:"], pod.Spec.Volumes.Select(v => $"{v.Name}:{v.PersistentVolumeClaim?.ClaimName}"));
        Assert.Equal(("StatefulSet", "uid", true), (pod.Metadata.OwnerReferences[0].Kind, pod.Metadata.OwnerReferences[0].Uid, pod.Metadata.OwnerReferences[0].Controller));
        Assert.True(StatefulPods.IdentityMatches(Set(), pod));
        Assert.True(StatefulPods.StorageMatches(Set(), pod));
    }

    [Fact]
    public void Claims_are_named_per_ordinal_and_carry_the_selector_labels()
    {
        var (volume, claim) = Assert.Single(StatefulPods.Claims(Set(), StatefulPods.New(Set(), 1)));

        Assert.Equal(("data", "data-web-1", "ns"), (volume, claim.Metadata.Name, claim.Metadata.NamespaceProperty));
        Assert.Equal(new Dictionary<string, string> { ["tier"] = "db", ["app"] = "web" }, claim.Metadata.Labels);
    }

    [Theory]
    [InlineData("right", "web-1", "ns", "web-1", true)]
    [InlineData("label lost", "web-1", "ns", null, false)]
    [InlineData("label of another pod", "web-1", "ns", "web-2", false)]
    [InlineData("other namespace", "web-1", "other", "web-1", false)]
    [InlineData("not a member name", "db-1", "ns", "db-1", false)]
    public void Identity_matches(string why, string name, string ns, string? label, bool expected)
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = label is null ? null : new Dictionary<string, string> { ["statefulset.kubernetes.io/pod-name"] = label } } };

        Assert.True(expected == StatefulPods.IdentityMatches(Set(), pod), why);
    }

    [Theory]
    [InlineData("below the partition: current", 2, 1, "current")]
    [InlineData("at the partition: update", 2, 2, "update")]
    [InlineData("partition 0: all update", 0, 0, "update")]
    public void Versioned_pods_follow_the_partition(string why, int partition, int ordinal, string expected)
    {
        var set = Set(partition: partition);

        var pod = StatefulPods.NewVersioned(set, set, "current", "update", ordinal);

        Assert.True(expected == pod.Metadata.Labels["controller-revision-hash"], why);
    }

    [Fact]
    public void The_partition_counts_from_the_start_ordinal()
    {
        var set = Set(partition: 1, start: 5);

        Assert.Equal("current", StatefulPods.NewVersioned(set, set, "current", "update", 5).Metadata.Labels["controller-revision-hash"]);
        Assert.Equal("update", StatefulPods.NewVersioned(set, set, "current", "update", 6).Metadata.Labels["controller-revision-hash"]);
        Assert.True(StatefulPods.InOrdinalRange(set, 7));
        Assert.False(StatefulPods.InOrdinalRange(set, 8));
        Assert.False(StatefulPods.InOrdinalRange(set, 4));
    }

    [Fact]
    public void Without_a_rolling_update_block_the_current_replicas_keep_the_current_revision()
    {
        var set = Set(currentReplicas: 2, rollingUpdate: false);

        Assert.Equal("current", StatefulPods.NewVersioned(set, set, "current", "update", 1).Metadata.Labels["controller-revision-hash"]);
        Assert.Equal("update", StatefulPods.NewVersioned(set, set, "current", "update", 2).Metadata.Labels["controller-revision-hash"]);
    }
}
