using k8s.Models;
using Kubesharp.Controllers.Dynamic;
using Kubesharp.Controllers.GarbageCollector;

namespace Kubesharp.Controllers.Tests.GarbageCollector;

public sealed class DependencyGraphTests
{
    private readonly List<string> _queued = [];
    private readonly AbsentOwnerCache _absent = new();
    private readonly DependencyGraph _graph;

    public DependencyGraphTests()
    {
        _graph = new DependencyGraph(uid => _queued.Add("d/" + uid), uid => _queued.Add("o/" + uid), _absent);
    }

    private static PartialObject Obj(string name, string ns = "team", IEnumerable<V1OwnerReference>? owners = null, IEnumerable<string>? finalizers = null, bool deleting = false) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Uid = "uid-" + name,
            OwnerReferences = owners?.ToList(),
            Finalizers = finalizers?.ToList(),
            DeletionTimestamp = deleting ? DateTime.UtcNow : null,
        },
    };

    private static V1OwnerReference Ref(string name, bool block = false) => new() { ApiVersion = "v1", Kind = "ConfigMap", Name = name, Uid = "uid-" + name, BlockOwnerDeletion = block };

    [Fact]
    public void An_owner_not_seen_yet_is_a_virtual_node_queued_for_a_live_read_until_it_is_observed()
    {
        _graph.OnUpsert(Obj("child", owners: [Ref("parent")]));

        Assert.Equal(["d/uid-parent"], _queued);
        Assert.False(_graph.Snapshot("uid-parent")!.Observed);

        _graph.OnUpsert(Obj("parent"));
        var parent = _graph.Snapshot("uid-parent")!;
        Assert.True(parent.Observed);
        Assert.Equal(["uid-child"], parent.Dependents.Select(d => d.Identity.Uid));
    }

    [Fact]
    public void A_deleted_owner_queues_its_dependents_and_stays_as_an_absent_node_while_they_name_it()
    {
        _graph.OnUpsert(Obj("parent"));
        _graph.OnUpsert(Obj("child", owners: [Ref("parent")]));
        _queued.Clear();

        _graph.OnDelete(Obj("parent"));
        Assert.Equal(["d/uid-child"], _queued);
        Assert.True(_graph.Snapshot("uid-parent")!.Absent);

        // A dependent added later names a known-absent owner: it is judged at once.
        _queued.Clear();
        _graph.OnUpsert(Obj("late-child", owners: [Ref("parent")]));
        Assert.Equal(["d/uid-late-child"], _queued);

        _graph.OnDelete(Obj("child"));
        _graph.OnDelete(Obj("late-child"));
        Assert.Null(_graph.Snapshot("uid-parent"));
        Assert.Equal(0, _graph.Count);
    }

    [Fact]
    public void Starting_a_foreground_deletion_queues_the_dependents_and_the_owner_once()
    {
        _graph.OnUpsert(Obj("parent"));
        _graph.OnUpsert(Obj("a", owners: [Ref("parent", block: true)]));
        _graph.OnUpsert(Obj("b", owners: [Ref("parent")]));
        _queued.Clear();

        _graph.OnUpsert(Obj("parent", finalizers: ["foregroundDeletion"], deleting: true));
        _graph.OnUpsert(Obj("parent", finalizers: ["foregroundDeletion"], deleting: true));

        Assert.Equal(["d/uid-a", "d/uid-b", "d/uid-parent"], _queued.Order());
        var parent = _graph.Snapshot("uid-parent")!;
        Assert.True(parent.DeletingDependents);
        Assert.Equal([("uid-a", true), ("uid-b", false)], parent.Dependents.Select(d => (d.Identity.Uid, d.Blocking)).Order());
    }

    [Fact]
    public void A_dependent_that_stops_blocking_queues_its_foreground_deleting_owner()
    {
        _graph.OnUpsert(Obj("parent", finalizers: ["foregroundDeletion"], deleting: true));
        _graph.OnUpsert(Obj("a", owners: [Ref("parent", block: true)]));
        _graph.OnUpsert(Obj("b", owners: [Ref("parent", block: true)]));
        _queued.Clear();

        _graph.OnUpsert(Obj("a", owners: [Ref("parent", block: false)]));
        Assert.Equal(["d/uid-parent"], _queued);

        _queued.Clear();
        _graph.OnUpsert(Obj("b"));
        Assert.Equal(["d/uid-parent"], _queued);
        Assert.Equal(["uid-a"], _graph.Snapshot("uid-parent")!.Dependents.Select(d => d.Identity.Uid));
    }

    [Fact]
    public void Starting_an_orphan_deletion_queues_the_owner_for_orphaning()
    {
        _graph.OnUpsert(Obj("parent"));

        _graph.OnUpsert(Obj("parent", finalizers: ["orphan"], deleting: true));

        Assert.Equal(["o/uid-parent"], _queued);
    }

    [Fact]
    public void A_reference_to_an_owner_in_another_namespace_is_judged()
    {
        _graph.OnUpsert(Obj("parent", ns: "one"));
        _queued.Clear();

        _graph.OnUpsert(Obj("child", ns: "two", owners: [Ref("parent")]));

        Assert.Equal(["d/uid-child"], _queued);
    }
}
