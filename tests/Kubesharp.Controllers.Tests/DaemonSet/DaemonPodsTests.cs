using k8s.Models;
using Kubesharp.Controllers.DaemonSet;

namespace Kubesharp.Controllers.Tests.DaemonSet;

public sealed class DaemonPodsTests
{
    [Fact]
    public void Pod_template_gets_the_labels_and_the_default_tolerations_replacing_equal_ones()
    {
        var template = new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "agent" } },
            Spec = new V1PodSpec
            {
                HostNetwork = true,
                Tolerations =
                [
                    new V1Toleration { Key = "node.kubernetes.io/not-ready", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 },
                    new V1Toleration { Key = "mine", OperatorProperty = "Exists" },
                ],
            },
        };

        var result = DaemonPods.PodTemplate(template, 3, "abc");

        Assert.Equal(("agent", "3", "abc"), (result.Metadata.Labels["app"], result.Metadata.Labels["pod-template-generation"], result.Metadata.Labels["controller-revision-hash"]));
        Assert.Equal(
            [
                "node.kubernetes.io/not-ready:NoExecute:",
                "mine::",
                "node.kubernetes.io/unreachable:NoExecute:",
                "node.kubernetes.io/disk-pressure:NoSchedule:",
                "node.kubernetes.io/memory-pressure:NoSchedule:",
                "node.kubernetes.io/pid-pressure:NoSchedule:",
                "node.kubernetes.io/unschedulable:NoSchedule:",
                "node.kubernetes.io/network-unavailable:NoSchedule:",
            ],
            result.Spec.Tolerations.Select(t => $"{t.Key}:{t.Effect}:{t.TolerationSeconds}"));
        // The DaemonSet's own template is left alone.
        Assert.Equal(2, template.Spec.Tolerations.Count);
        Assert.False(template.Metadata.Labels.ContainsKey("controller-revision-hash"));
    }

    [Fact]
    public void Node_name_affinity_replaces_the_required_terms_and_keeps_the_rest()
    {
        var preferred = new V1PreferredSchedulingTerm { Weight = 1, Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a"] }] } };
        var affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "x", OperatorProperty = "Exists" }] }] },
                PreferredDuringSchedulingIgnoredDuringExecution = [preferred],
            },
            PodAntiAffinity = new V1PodAntiAffinity(),
        };

        var result = DaemonPods.ReplaceNodeNameAffinity(affinity, "n7");

        var term = Assert.Single(result.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms);
        Assert.Null(term.MatchExpressions);
        var field = Assert.Single(term.MatchFields);
        Assert.Equal(("metadata.name", "In", "n7"), (field.Key, field.OperatorProperty, Assert.Single(field.Values)));
        Assert.Same(preferred, Assert.Single(result.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution));
        Assert.NotNull(result.PodAntiAffinity);
        Assert.NotNull(DaemonPods.ReplaceNodeNameAffinity(null, "n1").NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution);
    }

    [Theory]
    [InlineData("bound", "n2", "n1", "n2")]
    [InlineData("by affinity", null, "n1", "n1")]
    [InlineData("neither", null, null, null)]
    public void Target_node_is_the_binding_or_else_the_affinity(string why, string? nodeName, string? affinityNode, string? expected)
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { NodeName = nodeName } };
        if (affinityNode is not null)
        {
            pod.Spec.Affinity = DaemonPods.ReplaceNodeNameAffinity(null, affinityNode);
        }

        Assert.True(expected == DaemonPods.TargetNodeName(pod), why);
    }

    [Theory]
    [InlineData("hash matches", "h1", "1", "h1", 2L, true)]
    [InlineData("generation matches", "old", "2", "h1", 2L, true)]
    [InlineData("neither", "old", "1", "h1", 2L, false)]
    [InlineData("no generation known", "old", "2", "h1", null, false)]
    [InlineData("empty hash never matches", "", "1", "", null, false)]
    public void Pod_is_updated_by_hash_or_template_generation(string why, string podHash, string podGeneration, string hash, long? generation, bool expected)
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["controller-revision-hash"] = podHash, ["pod-template-generation"] = podGeneration } } };

        Assert.True(expected == DaemonPods.IsUpdated(pod, hash, generation), why);
    }

    [Theory]
    [InlineData("number", "RollingUpdate", "2", "0", 10, 2, 0)]
    [InlineData("percent rounds up", "RollingUpdate", "25%", null, 10, 3, 0)]
    [InlineData("surge percent rounds up", "RollingUpdate", "0", "10%", 11, 0, 2)]
    [InlineData("OnDelete has neither", "OnDelete", "2", "2", 10, 0, 0)]
    public void Rolling_update_counts(string why, string type, string? maxUnavailable, string? maxSurge, int desired, int expectedUnavailable, int expectedSurge)
    {
        var ds = new V1DaemonSet
        {
            Spec = new V1DaemonSetSpec
            {
                UpdateStrategy = new V1DaemonSetUpdateStrategy
                {
                    Type = type,
                    RollingUpdate = new V1RollingUpdateDaemonSet { MaxUnavailable = maxUnavailable, MaxSurge = maxSurge },
                },
            },
        };

        Assert.True((expectedUnavailable, expectedSurge) == (DaemonPods.UnavailableCount(ds, desired), DaemonPods.SurgeCount(ds, desired)), why);
        Assert.Equal(expectedSurge > 0, DaemonPods.AllowsSurge(ds));
    }
}
