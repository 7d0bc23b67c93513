using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Client.Cache;
using static Kubesharp.Client.Tests.TestObjects;

namespace Kubesharp.Client.Tests.Cache;

public sealed class IndexerTests
{
    [Fact]
    public void Keys_are_namespace_slash_name_or_name_for_cluster_scoped_objects()
    {
        Assert.Equal("default/a", ObjectKeys.For(Cm("a", "1")));
        Assert.Equal("node-1", ObjectKeys.For(new V1Node { Metadata = new V1ObjectMeta { Name = "node-1" } }));
        Assert.Equal(("default", "a"), ObjectKeys.Split("default/a"));
        Assert.Equal(((string?)null, "node-1"), ObjectKeys.Split("node-1"));
    }

    [Fact]
    public void The_namespace_index_follows_adds_updates_deletes_and_replace()
    {
        var indexer = new Indexer<V1ConfigMap>();
        indexer.Upsert(Cm("a", "1", ns: "x"));
        indexer.Upsert(Cm("b", "1", ns: "x"));
        indexer.Upsert(Cm("c", "1", ns: "y"));
        indexer.Delete("x/b");

        Assert.Equal(["x/a"], indexer.IndexKeys(Indexers.Namespace, "x"));
        Assert.Equal(["y/c"], indexer.IndexKeys(Indexers.Namespace, "y"));

        var old = indexer.Replace([Cm("d", "2", ns: "y")]);

        Assert.Equal(["x/a", "y/c"], old.Keys.Order());
        Assert.Empty(indexer.IndexKeys(Indexers.Namespace, "x"));
        Assert.Equal(["y/d"], indexer.IndexKeys(Indexers.Namespace, "y"));
        Assert.Throws<ArgumentException>(() => indexer.ByIndex("missing", "x"));
    }

    [Fact]
    public void Pods_index_by_controller_uid_and_node_name_and_move_when_they_change()
    {
        var indexer = new Indexer<V1Pod>();
        indexer.AddIndexers(Indexers.ControllerUidIndex<V1Pod>());
        indexer.AddIndexers(Indexers.NodeNameIndex());
        indexer.Upsert(Pod("p1", node: "n1", ownerUid: "rs-1"));
        indexer.Upsert(Pod("p2", node: null, ownerUid: "rs-1"));
        indexer.Upsert(Pod("p3", node: "n1"));

        Assert.Equal(["default/p1", "default/p2"], indexer.IndexKeys(Indexers.ControllerUid, "rs-1").Order());
        Assert.Equal(["default/p1", "default/p3"], indexer.IndexKeys(Indexers.NodeName, "n1").Order());

        indexer.Upsert(Pod("p1", node: "n2", ownerUid: "rs-2"));

        Assert.Equal(["default/p2"], indexer.IndexKeys(Indexers.ControllerUid, "rs-1"));
        Assert.Equal(["default/p3"], indexer.IndexKeys(Indexers.NodeName, "n1"));
        Assert.Equal("p1", Assert.Single(indexer.ByIndex(Indexers.NodeName, "n2")).Metadata.Name);
    }

    [Fact]
    public void An_owner_reference_that_is_not_the_controller_is_not_indexed()
    {
        var pod = Pod("p1", ownerUid: "rs-1");
        pod.Metadata.OwnerReferences[0].Controller = false;

        Assert.Empty(Indexers.ByControllerUid(pod));
    }

    [Fact]
    public void Indexers_cannot_be_added_once_the_store_holds_items()
    {
        var indexer = new Indexer<V1Pod>();
        indexer.Upsert(Pod("p1"));

        Assert.Throws<InvalidOperationException>(() => indexer.AddIndexers(Indexers.NodeNameIndex()));
    }

    [Fact]
    public void Lister_lists_all_by_namespace_with_selectors_and_gets_by_key()
    {
        var indexer = new Indexer<V1ConfigMap>();
        indexer.Upsert(Cm("a", "1", ns: "x", labels: new() { ["app"] = "web" }));
        indexer.Upsert(Cm("b", "1", ns: "x", labels: new() { ["app"] = "db" }));
        indexer.Upsert(Cm("c", "1", ns: "y", labels: new() { ["app"] = "web" }));
        indexer.Upsert(Cm("d", "1", ns: "y"));
        var lister = new Lister<V1ConfigMap>(indexer);

        Assert.Equal(4, lister.List().Count);
        Assert.Equal(["a", "c"], lister.List(LabelSelector.Parse("app=web")).Select(c => c.Metadata.Name).Order());
        Assert.Equal(["c", "d"], lister.List("y").Select(c => c.Metadata.Name).Order());
        Assert.Equal(["d"], lister.List("y", LabelSelector.Parse("!app")).Select(c => c.Metadata.Name));
        Assert.Equal("b", lister.Get("x/b")?.Metadata.Name);
        Assert.Equal("b", lister.Get("x", "b")?.Metadata.Name);
        Assert.Null(lister.Get("x", "zzz"));
    }
}
