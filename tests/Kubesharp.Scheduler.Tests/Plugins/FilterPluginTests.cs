using k8s.Models;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.NodeAffinity;
using Kubesharp.Scheduler.Plugins.NodeName;
using Kubesharp.Scheduler.Plugins.NodePorts;
using Kubesharp.Scheduler.Plugins.NodeResourcesFit;
using Kubesharp.Scheduler.Plugins.NodeUnschedulable;
using Kubesharp.Scheduler.Plugins.TaintToleration;

namespace Kubesharp.Scheduler.Tests.Plugins;

public sealed class FilterPluginTests
{
    private static Status Fit(V1Pod pod, NodeInfo node, NodeResourcesFitArgs? args = null) =>
        new NodeResourcesFit(args).Filter(new CycleState(), PodInfo.Of(pod), node);

    public static TheoryData<string, string?, string?, string[], Code> ResourceCases => new()
    {
        { "fits", "1", "1Gi", [], Code.Success },
        { "cpu short", "3.5", "1Gi", ["Insufficient cpu"], Code.Unschedulable },
        { "memory short", "1", "7Gi", ["Insufficient memory"], Code.Unschedulable },
        { "both short, cpu first", "3.5", "7Gi", ["Insufficient cpu", "Insufficient memory"], Code.Unschedulable },
        { "more than the node has at all", "5", null, ["Insufficient cpu"], Code.UnschedulableAndUnresolvable },
        { "best effort always fits", null, null, [], Code.Success },
    };

    [Theory]
    [MemberData(nameof(ResourceCases))]
    public void NodeResourcesFit_checks_what_is_left(string name, string? cpu, string? memory, string[] reasons, Code code)
    {
        // 4 cpu, 8Gi node with 1 cpu and 2Gi already requested.
        var node = Make.Info(Make.Node("n1"), Make.Pod("running", "1", "2Gi", node: "n1"));

        var status = Fit(Make.Pod(name.Replace(' ', '-').Replace(',', '-'), cpu, memory), node);

        Assert.Equal(code, status.Code);
        Assert.Equal(reasons, status.Reasons);
    }

    [Fact]
    public void NodeResourcesFit_counts_pods_and_extended_resources()
    {
        var full = Make.Info(Make.Node("n1", pods: "1"), Make.Pod("a", node: "n1"));
        Assert.Equal(["Too many pods"], Fit(Make.Pod("b"), full).Reasons);

        var gpuNode = Make.Info(Make.Node("n2", extra: new Dictionary<string, string> { ["example.com/gpu"] = "1" }));
        var wantsTwo = Make.Pod("g", spec: s => s.Containers[0].Resources.Requests["example.com/gpu"] = new ResourceQuantity("2"));
        Assert.Equal(["Insufficient example.com/gpu"], Fit(wantsTwo, gpuNode).Reasons);
        Assert.True(Fit(wantsTwo, gpuNode, new NodeResourcesFitArgs { IgnoredResourceGroups = new HashSet<string> { "example.com" } }).IsSuccess);
    }

    [Fact]
    public void Pod_requests_take_init_containers_sidecars_and_overhead_as_upstream()
    {
        var pod = Make.Pod("p", "500m", "100Mi", spec: s =>
        {
            s.InitContainers =
            [
                new V1Container { Name = "sidecar", RestartPolicy = "Always", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("200m") } } },
                new V1Container { Name = "init", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") } } },
            ];
            s.Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("50m") };
        });

        var info = PodInfo.Of(pod);

        // max(500m + 200m sidecar, 1 init + 200m sidecar) + 50m overhead.
        Assert.Equal(1250, info.Requests.MilliCpu);
        Assert.Equal(100L * 1024 * 1024, info.Requests.Memory);

        // Scoring counts 100m / 200 MB for containers that request nothing.
        var empty = PodInfo.Of(Make.Pod("e"));
        Assert.Equal((100L, 200L * 1024 * 1024), (empty.NonZeroRequests.MilliCpu, empty.NonZeroRequests.Memory));
    }

    public static TheoryData<string, V1Toleration[], string?> TaintCases => new()
    {
        { "untolerated NoSchedule", [], "node(s) had untolerated taint {dedicated: gpu}" },
        { "tolerated by key and value", [new V1Toleration { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" }], null },
        { "tolerated by Exists", [new V1Toleration { Key = "dedicated", OperatorProperty = "Exists" }], null },
        { "wrong value", [new V1Toleration { Key = "dedicated", Value = "cpu" }], "node(s) had untolerated taint {dedicated: gpu}" },
        { "wrong effect", [new V1Toleration { Key = "dedicated", Value = "gpu", Effect = "NoExecute" }], "node(s) had untolerated taint {dedicated: gpu}" },
        { "empty key Exists tolerates all", [new V1Toleration { OperatorProperty = "Exists" }], null },
    };

    [Theory]
    [MemberData(nameof(TaintCases))]
    public void TaintToleration_filters_NoSchedule_and_NoExecute_taints(string name, V1Toleration[] tolerations, string? reason)
    {
        _ = name;
        var node = Make.Info(Make.Node("n1", taints: [new V1Taint { Key = "soft", Effect = "PreferNoSchedule" }, new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" }]));

        var status = new TaintToleration().Filter(new CycleState(), PodInfo.Of(Make.Pod("p", spec: s => s.Tolerations = tolerations)), node);

        Assert.Equal(reason, status.IsSuccess ? null : status.Message);
        Assert.True(status.IsSuccess || status.Code == Code.UnschedulableAndUnresolvable);
    }

    private static V1NodeSelectorRequirement Req(string key, string op, params string[] values) => new() { Key = key, OperatorProperty = op, Values = values };

    public static TheoryData<string, V1NodeSelectorRequirement, bool> AffinityCases => new()
    {
        { "In", Req("zone", "In", "a", "b"), true },
        { "In miss", Req("zone", "In", "c"), false },
        { "NotIn", Req("zone", "NotIn", "c"), true },
        { "NotIn on a missing label", Req("rack", "NotIn", "r1"), true },
        { "Exists", Req("zone", "Exists"), true },
        { "DoesNotExist", Req("zone", "DoesNotExist"), false },
        { "Gt", Req("cores", "Gt", "8"), true },
        { "Lt", Req("cores", "Lt", "8"), false },
        { "Gt on a non-number", Req("zone", "Gt", "1"), false },
    };

    [Theory]
    [MemberData(nameof(AffinityCases))]
    public void NodeAffinity_supports_every_operator(string name, V1NodeSelectorRequirement requirement, bool fits)
    {
        _ = name;
        var node = Make.Info(Make.Node("n1", labels: new Dictionary<string, string> { ["zone"] = "a", ["cores"] = "16" }));
        var pod = Make.Pod("p", spec: s => s.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [requirement] }] },
            },
        });

        var status = new NodeAffinity().Filter(new CycleState(), PodInfo.Of(pod), node);

        Assert.Equal(fits ? null : NodeAffinity.ReasonPod, status.IsSuccess ? null : status.Message);
    }

    [Fact]
    public void NodeAffinity_ORs_terms_matches_fields_and_checks_the_nodeSelector()
    {
        var node = Make.Info(Make.Node("n1", labels: new Dictionary<string, string> { ["zone"] = "a" }));
        var plugin = new NodeAffinity();
        var byName = Make.Pod("p", spec: s => s.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms =
                    [
                        new V1NodeSelectorTerm { MatchExpressions = [Req("zone", "In", "z")] },
                        new V1NodeSelectorTerm { MatchFields = [Req("metadata.name", "In", "n1")] },
                    ],
                },
            },
        });
        Assert.True(plugin.Filter(new CycleState(), PodInfo.Of(byName), node).IsSuccess);

        var empty = Make.Pod("q", spec: s => s.Affinity = new V1Affinity { NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm()] } } });
        Assert.False(plugin.Filter(new CycleState(), PodInfo.Of(empty), node).IsSuccess);

        var selector = Make.Pod("r", spec: s => s.NodeSelector = new Dictionary<string, string> { ["zone"] = "b" });
        Assert.Equal(NodeAffinity.ReasonPod, plugin.Filter(new CycleState(), PodInfo.Of(selector), node).Message);
    }

    [Fact]
    public void NodeName_NodeUnschedulable_and_NodePorts_reject_with_upstreams_reasons()
    {
        var state = new CycleState();
        var n1 = Make.Info(Make.Node("n1"));
        Assert.Equal(NodeName.Reason, new NodeName().Filter(state, PodInfo.Of(Make.Pod("p", spec: s => s.NodeName = "n2")), n1).Message);

        var cordoned = Make.Info(Make.Node("n2", unschedulable: true));
        Assert.Equal("node(s) were unschedulable", new NodeUnschedulable().Filter(state, PodInfo.Of(Make.Pod("p")), cordoned).Message);
        var tolerates = Make.Pod("t", spec: s => s.Tolerations = [new V1Toleration { Key = NodeUnschedulable.TaintKey, OperatorProperty = "Exists", Effect = "NoSchedule" }]);
        Assert.True(new NodeUnschedulable().Filter(state, PodInfo.Of(tolerates), cordoned).IsSuccess);

        static V1Pod WithPort(string name, int port, string? ip = null, string? protocol = null, string? node = null) =>
            Make.Pod(name, node: node, spec: s => s.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = port, HostIP = ip, Protocol = protocol }]);
        var busy = Make.Info(Make.Node("n3"), WithPort("web", 8080, ip: "10.0.0.1", node: "n3"));
        var ports = new NodePorts();
        Assert.Equal(NodePorts.Reason, ports.Filter(state, PodInfo.Of(WithPort("a", 8080)), busy).Message);
        Assert.True(ports.Filter(state, PodInfo.Of(WithPort("b", 8080, ip: "10.0.0.2")), busy).IsSuccess);
        Assert.True(ports.Filter(state, PodInfo.Of(WithPort("c", 8080, protocol: "UDP")), busy).IsSuccess);
        Assert.True(ports.Filter(state, PodInfo.Of(WithPort("d", 8081)), busy).IsSuccess);
    }
}
