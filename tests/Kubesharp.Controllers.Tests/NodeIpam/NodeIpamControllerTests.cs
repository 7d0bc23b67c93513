using System.Net;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Dynamic;
using Kubesharp.Controllers.NodeIpam;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.NodeIpam;

public sealed class NodeIpamControllerTests
{
    [Fact]
    public async Task CIDRs_nodes_already_have_are_occupied_before_the_first_allocation()
    {
        var h = new Harness("10.42.0.0/16");
        h.Add("old-b", "10.42.1.0/24");
        h.Add("new");
        h.Add("old-a", "10.42.0.0/24");

        await h.SyncAsync("new");

        Assert.Equal(["patch new 10.42.2.0/24"], h.Api.Calls);
        Assert.Equal("10.42.2.0/24", h.Nodes.Get("new")!.Spec.PodCIDR);
        Assert.Equal(["10.42.2.0/24"], h.Nodes.Get("new")!.Spec.PodCIDRs);
        Assert.Equal(3, h.Cidrs.Allocated);
    }

    [Fact]
    public async Task A_deleted_nodes_CIDR_goes_to_the_next_node()
    {
        var h = new Harness("10.42.0.0/16");
        h.Add("n1");
        h.Add("n2");
        await h.SyncAsync("n1");
        await h.SyncAsync("n2");

        h.Nodes.Delete("n1");
        await h.SyncAsync("n1");
        h.Add("n3");
        await h.SyncAsync("n3");

        Assert.Equal(["patch n1 10.42.0.0/24", "patch n2 10.42.1.0/24", "patch n3 10.42.0.0/24"], h.Api.Calls);
    }

    [Fact]
    public async Task A_node_whose_write_the_cache_has_not_caught_up_with_is_not_given_a_second_CIDR()
    {
        var h = new Harness("10.42.0.0/16") { Deliver = false };
        h.Add("n1");

        await h.SyncAsync("n1");
        await h.SyncAsync("n1");

        Assert.Equal(["patch n1 10.42.0.0/24"], h.Api.Calls);
        Assert.Equal(1, h.Cidrs.Allocated);
    }

    [Fact]
    public async Task A_full_range_is_reported_on_the_node_and_the_node_gets_a_CIDR_when_one_frees_up()
    {
        var h = new Harness("10.42.0.0/23");
        h.Add("n1");
        h.Add("n2");
        h.Add("n3");
        foreach (var name in new[] { "n1", "n2", "n3" })
        {
            await h.SyncAsync(name);
        }

        Assert.Equal(["Warning CIDRNotAvailable Node n3 status is now: CIDRNotAvailable"], h.Events.On("n3"));
        var unavailable = Assert.Single(h.Nodes.Get("n3")!.Status.Conditions);
        Assert.Equal(("NetworkUnavailable", "True", NodeIpamController.CidrNotAvailable), (unavailable.Type, unavailable.Status, unavailable.Reason));
        Assert.Equal(0, h.Controller.Queue.Count);

        h.Nodes.Delete("n1");
        await h.SyncAsync("n1");
        Assert.Equal(1, h.Controller.Queue.Count);
        await h.SyncAsync("n3");

        Assert.Equal("10.42.0.0/24", h.Nodes.Get("n3")!.Spec.PodCIDR);
        var available = Assert.Single(h.Nodes.Get("n3")!.Status.Conditions);
        Assert.Equal(("NetworkUnavailable", "False", NodeIpamController.CidrAssigned), (available.Type, available.Status, available.Reason));
    }

    [Fact]
    public async Task A_NetworkUnavailable_condition_set_by_someone_else_is_left_alone()
    {
        var h = new Harness("10.42.0.0/16");
        var node = h.Add("n1");
        node.Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "NetworkUnavailable", Status = "True", Reason = "NoRouteCreated" }] };
        h.Nodes.Upsert(node);

        await h.SyncAsync("n1");

        Assert.Equal(["patch n1 10.42.0.0/24"], h.Api.Calls);
        Assert.Equal("NoRouteCreated", h.Nodes.Get("n1")!.Status.Conditions.Single().Reason);
    }

    [Fact]
    public async Task A_failed_write_gives_the_CIDR_back_and_is_retried()
    {
        var h = new Harness("10.42.0.0/16");
        h.Add("n1");
        h.Api.Outcome = WriteOutcome.Conflict;

        await Assert.ThrowsAsync<InvalidOperationException>(() => h.SyncAsync("n1"));
        Assert.Equal(0, h.Cidrs.Allocated);

        h.Api.Outcome = WriteOutcome.Done;
        await h.SyncAsync("n1");
        Assert.Equal("10.42.0.0/24", h.Nodes.Get("n1")!.Spec.PodCIDR);
    }

    private sealed class Harness
    {
        public Harness(string cluster)
        {
            Cidrs = new CidrSet(IPNetwork.Parse(cluster), 24);
            Api = new FakeIpamApi(this);
            Controller = new NodeIpamController(Nodes, Api, Events, Cidrs, Clock, NullLogger.Instance);
        }

        public FakeClock Clock { get; } = new();

        public Indexer<V1Node> Nodes { get; } = new();

        public CidrSet Cidrs { get; }

        public FakeIpamApi Api { get; }

        public RecordingEventRecorder Events { get; } = new();

        public NodeIpamController Controller { get; }

        /// <summary>Whether the API's writes reach the cache at once.</summary>
        public bool Deliver { get; init; } = true;

        public V1Node Add(string name, string? cidr = null)
        {
            var node = new V1Node
            {
                Metadata = new V1ObjectMeta { Name = name, Uid = "uid-" + name },
                Spec = new V1NodeSpec { PodCIDR = cidr, PodCIDRs = cidr is null ? null : [cidr] },
                Status = new V1NodeStatus(),
            };
            Nodes.Upsert(node);
            return node;
        }

        public Task SyncAsync(string name) => Controller.SyncAsync(name, CancellationToken.None);
    }

    private sealed class FakeIpamApi(Harness h) : INodeIpamApi
    {
        public List<string> Calls { get; } = [];

        public WriteOutcome Outcome { get; set; } = WriteOutcome.Done;

        public Task<WriteOutcome> PatchPodCidrsAsync(string name, IReadOnlyList<string> cidrs, CancellationToken cancellationToken)
        {
            Calls.Add($"patch {name} {string.Join(",", cidrs)}");
            if (Outcome == WriteOutcome.Done && h.Deliver)
            {
                var node = Copy(h.Nodes.Get(name)!);
                node.Spec.PodCIDR = cidrs[0];
                node.Spec.PodCIDRs = [.. cidrs];
                h.Nodes.Upsert(node);
            }

            return Task.FromResult(Outcome);
        }

        public Task<WriteOutcome> PatchConditionAsync(string name, V1NodeCondition condition, CancellationToken cancellationToken)
        {
            var node = Copy(h.Nodes.Get(name)!);
            node.Status.Conditions = [.. (node.Status.Conditions ?? []).Where(c => c.Type != condition.Type), condition];
            h.Nodes.Upsert(node);
            return Task.FromResult(WriteOutcome.Done);
        }

        private static T Copy<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));
    }
}
