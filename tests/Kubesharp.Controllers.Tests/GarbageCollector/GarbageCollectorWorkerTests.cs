using k8s.Models;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Kubesharp.Controllers.GarbageCollector;
using Kubesharp.Controllers.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.GarbageCollector;

/// <summary>The collector's decisions, on a graph fed by hand and an in-memory API.</summary>
public sealed class GarbageCollectorWorkerTests
{
    private readonly List<string> _queued = [];
    private readonly FakeDynamicApi _api = new();
    private readonly DependencyGraph _graph;
    private readonly GarbageCollectorWorker _worker;

    public GarbageCollectorWorkerTests()
    {
        var absent = new AbsentOwnerCache();
        _graph = new DependencyGraph(uid => _queued.Add("d/" + uid), uid => _queued.Add("o/" + uid), absent);
        _worker = new GarbageCollectorWorker(_graph, absent, _api, uid => _queued.Add("d/" + uid), NullLogger.Instance)
        {
            Discovery = new DiscoveryResult(_api.Resources, new Dictionary<string, string>()),
        };
    }

    private static V1OwnerReference Ref(PartialObject owner, bool block = false) => new()
    {
        ApiVersion = owner.ApiVersion,
        Kind = owner.Kind,
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        BlockOwnerDeletion = block,
    };

    private static V1OwnerReference Phantom(string name) => new() { ApiVersion = "v1", Kind = "ConfigMap", Name = name, Uid = "uid-never-" + name };

    /// <summary>Stores the object in the API and shows it to the graph, as a monitor would.</summary>
    private PartialObject Observe(ApiResource resource, string name, IEnumerable<V1OwnerReference>? owners = null, IEnumerable<string>? finalizers = null, bool deleting = false, string ns = "team")
    {
        var obj = _api.Add(resource, ns, name, owners: owners, finalizers: finalizers, deleting: deleting);
        _graph.OnUpsert(obj);
        return obj;
    }

    [Fact]
    public async Task A_dependent_whose_only_owner_never_existed_is_deleted_in_the_background_with_a_uid_precondition()
    {
        Observe(FakeDynamicApi.ConfigMaps, "child", owners: [Phantom("parent")]);

        // The virtual owner is read, found absent, and the dependent queued.
        Assert.Equal(ReconcileResult.Done, await _worker.ProcessAsync("d/uid-never-parent", CancellationToken.None));
        Assert.Contains("d/uid-child", _queued);
        await _worker.ProcessAsync("d/uid-child", CancellationToken.None);

        Assert.Contains("delete configmaps team/child Background uid=uid-child", _api.Calls);
        Assert.Null(_api.Find(FakeDynamicApi.ConfigMaps, "team", "child"));
    }

    [Fact]
    public async Task A_dependent_with_a_solid_owner_loses_only_its_dangling_reference()
    {
        var live = Observe(FakeDynamicApi.ConfigMaps, "live");
        Observe(FakeDynamicApi.ConfigMaps, "child", owners: [Phantom("gone"), Ref(live)]);

        await _worker.ProcessAsync("d/uid-child", CancellationToken.None);

        var child = _api.Find(FakeDynamicApi.ConfigMaps, "team", "child")!;
        Assert.Equal(["live"], child.Metadata.OwnerReferences.Select(r => r.Name));
        Assert.DoesNotContain(_api.Calls, c => c.StartsWith("delete", StringComparison.Ordinal));
        // The patch is a compare-and-swap on the version read.
        Assert.Contains(_api.Calls, c => c.StartsWith("patch configmaps team/child", StringComparison.Ordinal) && c.Contains("\"resourceVersion\":", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dependent_with_solid_owners_only_is_left_alone()
    {
        var live = Observe(FakeDynamicApi.ConfigMaps, "live");
        Observe(FakeDynamicApi.ConfigMaps, "child", owners: [Ref(live)]);

        await _worker.ProcessAsync("d/uid-child", CancellationToken.None);

        Assert.DoesNotContain(_api.Calls, c => c.StartsWith("delete", StringComparison.Ordinal) || c.StartsWith("patch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_foreground_owner_waits_for_its_blocking_dependents_then_loses_its_finalizer()
    {
        var owner = Observe(FakeDynamicApi.ConfigMaps, "owner", finalizers: ["foregroundDeletion"], deleting: true);
        Observe(FakeDynamicApi.ConfigMaps, "blocking", owners: [Ref(owner, block: true)]);
        Observe(FakeDynamicApi.ConfigMaps, "loose", owners: [Ref(owner)]);
        _queued.Clear();

        await _worker.ProcessAsync("d/uid-owner", CancellationToken.None);
        Assert.Equal(["d/uid-blocking"], _queued);
        Assert.NotNull(_api.Find(FakeDynamicApi.ConfigMaps, "team", "owner"));

        // The blocking dependent is judged: its owner waits for it and it has no dependents: deleted in the background.
        await _worker.ProcessAsync("d/uid-blocking", CancellationToken.None);
        Assert.Contains("delete configmaps team/blocking Background uid=uid-blocking", _api.Calls);
        _graph.OnDelete(new PartialObject { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "blocking", NamespaceProperty = "team", Uid = "uid-blocking" } });

        await _worker.ProcessAsync("d/uid-owner", CancellationToken.None);
        Assert.Null(_api.Find(FakeDynamicApi.ConfigMaps, "team", "owner"));
    }

    [Fact]
    public async Task A_dependent_with_dependents_of_its_own_is_deleted_in_the_foreground_when_its_owner_waits()
    {
        var owner = Observe(FakeDynamicApi.ConfigMaps, "owner", finalizers: ["foregroundDeletion"], deleting: true);
        var middle = Observe(FakeDynamicApi.ConfigMaps, "middle", owners: [Ref(owner, block: true)]);
        Observe(FakeDynamicApi.ConfigMaps, "leaf", owners: [Ref(middle, block: true)]);

        await _worker.ProcessAsync("d/uid-middle", CancellationToken.None);

        Assert.Contains("delete configmaps team/middle Foreground uid=uid-middle", _api.Calls);
    }

    [Fact]
    public async Task Orphaning_removes_the_reference_from_every_dependent_then_the_orphan_finalizer()
    {
        var owner = Observe(FakeDynamicApi.ConfigMaps, "owner");
        var other = Observe(FakeDynamicApi.ConfigMaps, "other");
        Observe(FakeDynamicApi.ConfigMaps, "a", owners: [Ref(owner, block: true), Ref(other)]);
        Observe(FakeDynamicApi.Widgets, "b", owners: [Ref(owner)]);
        _api.Add(FakeDynamicApi.ConfigMaps, "team", "owner", uid: "uid-owner", finalizers: ["orphan", "example.com/keep"], deleting: true);
        _graph.OnUpsert(_api.Find(FakeDynamicApi.ConfigMaps, "team", "owner")!);
        Assert.Contains("o/uid-owner", _queued);

        await _worker.ProcessAsync("o/uid-owner", CancellationToken.None);

        Assert.Equal(["other"], _api.Find(FakeDynamicApi.ConfigMaps, "team", "a")!.Metadata.OwnerReferences.Select(r => r.Name));
        Assert.Null(_api.Find(FakeDynamicApi.Widgets, "team", "b")!.Metadata.OwnerReferences);
        Assert.Equal(["example.com/keep"], _api.Find(FakeDynamicApi.ConfigMaps, "team", "owner")!.Metadata.Finalizers);
    }

    [Fact]
    public async Task A_virtual_owner_that_exists_is_looked_at_again_until_a_monitor_shows_it()
    {
        var parent = _api.Add(FakeDynamicApi.ConfigMaps, "team", "parent");
        Observe(FakeDynamicApi.ConfigMaps, "child", owners: [Ref(parent)]);
        _queued.Clear();

        var result = await _worker.ProcessAsync("d/uid-parent", CancellationToken.None);

        Assert.Equal(_worker.UnobservedRecheck, result.Requeue);
        Assert.Empty(_queued);
        Assert.NotNull(_api.Find(FakeDynamicApi.ConfigMaps, "team", "child"));
    }

    [Fact]
    public async Task A_cluster_scoped_object_naming_a_namespaced_owner_is_left_alone()
    {
        Observe(FakeDynamicApi.ClusterThings, "thing", owners: [Phantom("cm")], ns: "");

        Assert.Equal(ReconcileResult.Done, await _worker.ProcessAsync("d/uid-thing", CancellationToken.None));

        Assert.NotNull(_api.Find(FakeDynamicApi.ClusterThings, "", "thing"));
        Assert.DoesNotContain(_api.Calls, c => c.StartsWith("delete", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dependent_that_has_its_own_orphan_finalizer_is_deleted_with_orphan()
    {
        Observe(FakeDynamicApi.ConfigMaps, "child", owners: [Phantom("parent")], finalizers: ["orphan"]);

        await _worker.ProcessAsync("d/uid-child", CancellationToken.None);

        Assert.Contains("delete configmaps team/child Orphan uid=uid-child", _api.Calls);
    }

    [Fact]
    public async Task A_kind_discovery_does_not_know_is_an_error_to_retry()
    {
        Observe(FakeDynamicApi.ConfigMaps, "child", owners: [new V1OwnerReference { ApiVersion = "unknown.example.com/v1", Kind = "Mystery", Name = "m", Uid = "uid-m" }]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _worker.ProcessAsync("d/uid-child", CancellationToken.None));
    }
}
