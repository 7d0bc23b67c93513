using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.History;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;

namespace Kubesharp.Controllers.Tests.History;

public sealed class ControllerRevisionsTests
{
    private static V1StatefulSet Parent() => new()
    {
        ApiVersion = "apps/v1",
        Kind = "StatefulSet",
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = TestObjects.Ns, Uid = "set-uid" },
        Spec = new V1StatefulSetSpec { Template = TestObjects.Template() },
    };

    private static V1ControllerRevision Revision(string image, long revision = 1, int? collisionCount = null) =>
        ControllerRevisions.New(Parent(), "apps/v1", "StatefulSet", new Dictionary<string, string> { ["app"] = "web" }, ControllerRevisions.TemplatePatch(TestObjects.Template(image)), revision, collisionCount);

    [Fact]
    public void A_revision_is_named_by_the_hash_of_its_data_labelled_and_owned()
    {
        var r = Revision("nginx:1");

        var hash = r.Metadata.Labels[ControllerRevisions.HashLabel];
        Assert.Equal("web-" + hash, r.Metadata.Name);
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]+$", hash);
        Assert.Equal("web", r.Metadata.Labels["app"]);
        var owner = Assert.Single(r.Metadata.OwnerReferences);
        Assert.Equal(("StatefulSet", "set-uid", true), (owner.Kind, owner.Uid, owner.Controller));
        using var data = JsonDocument.Parse(KubernetesJson.Serialize(r.Data));
        Assert.Equal("replace", data.RootElement.GetProperty("spec").GetProperty("template").GetProperty("$patch").GetString());
    }

    [Theory]
    [InlineData("same template, same hash", "nginx:1", null, "nginx:1", null, true)]
    [InlineData("another image", "nginx:1", null, "nginx:2", null, false)]
    [InlineData("a collision count moves the hash", "nginx:1", null, "nginx:1", 1, false)]
    [InlineData("each count its own hash", "nginx:1", 1, "nginx:1", 2, false)]
    public void Hashes_depend_on_the_data_and_the_collision_count(string why, string imageA, int? countA, string imageB, int? countB, bool same)
    {
        var a = ControllerRevisions.Hash(Revision(imageA), countA);
        var b = ControllerRevisions.Hash(Revision(imageB), countB);

        Assert.True(same == (a == b), $"{why}: {a} vs {b}");
    }

    [Fact]
    public void Data_read_back_from_the_server_equals_the_data_written()
    {
        var written = Revision("nginx:1");
        // The client hands data back as a JSON element, its keys in the server's order.
        var readBack = KubernetesJson.Deserialize<V1ControllerRevision>(KubernetesJson.Serialize(written));

        Assert.IsType<JsonElement>(readBack.Data);
        Assert.True(ControllerRevisions.Equal(written, readBack));
        Assert.Equal(ControllerRevisions.Hash(written, null), ControllerRevisions.Hash(readBack, null));
        Assert.False(ControllerRevisions.Equal(written, Revision("nginx:2")));
    }

    [Fact]
    public void Long_parent_names_are_cut_to_223_characters()
    {
        var name = ControllerRevisions.Name(new string('a', 300), "hash");

        Assert.Equal(new string('a', 223) + "-hash", name);
    }

    [Fact]
    public void Revisions_sort_by_number_then_creation_then_name_and_the_next_is_one_past_the_highest()
    {
        var t = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        V1ControllerRevision R(string name, long revision, int minute) => new() { Metadata = new V1ObjectMeta { Name = name, CreationTimestamp = t.AddMinutes(minute) }, Revision = revision };
        var list = new List<V1ControllerRevision> { R("c", 2, 0), R("b", 1, 5), R("a", 1, 5), R("d", 1, 1) };

        ControllerRevisions.Sort(list);

        Assert.Equal(["d", "a", "b", "c"], list.Select(r => r.Metadata.Name));
        Assert.Equal(3, ControllerRevisions.Next(list));
        Assert.Equal(1, ControllerRevisions.Next([]));
    }

    [Fact]
    public async Task A_name_taken_by_other_data_is_a_collision_and_the_next_count_is_tried()
    {
        var clock = new FakeClock();
        var cluster = new FakeWorkloadClient(clock);
        var history = new ControllerHistory(cluster, WorkloadIndexes.NewIndexer<V1ControllerRevision>());
        var wanted = Revision("nginx:1");
        // Another template already sits under the name the first hash (count 0) gives.
        var squatter = Revision("nginx:9");
        squatter.Metadata.Name = ControllerRevisions.Name("web", ControllerRevisions.Hash(wanted, 0));
        cluster.Add(squatter);
        var count = new Ref<int>(0);

        var created = await history.CreateAsync(Parent(), wanted, count, CancellationToken.None);

        Assert.Equal(1, count.Value);
        Assert.Equal("web-" + ControllerRevisions.Hash(wanted, 1), created.Metadata.Name);
        Assert.Equal(ControllerRevisions.Canonical(wanted.Data), ControllerRevisions.Canonical(created.Data));

        // The same data under its name is that revision, not a collision.
        var again = await history.CreateAsync(Parent(), wanted, count, CancellationToken.None);
        Assert.Equal((created.Metadata.Name, 1), (again.Metadata.Name, count.Value));
    }

    [Fact]
    public async Task Renumbering_rereads_through_a_conflict()
    {
        var cluster = new FakeWorkloadClient(new FakeClock());
        var history = new ControllerHistory(cluster, WorkloadIndexes.NewIndexer<V1ControllerRevision>());
        var stored = cluster.Add(Revision("nginx:1"));
        // Someone wrote it since our copy was read.
        cluster.Mutate<V1ControllerRevision>(ObjectKeysFor(stored), r => r.Metadata.Annotations = new Dictionary<string, string> { ["x"] = "y" });

        var updated = await history.UpdateRevisionAsync(stored, 5, CancellationToken.None);

        Assert.Equal(5, updated.Revision);
        Assert.Equal("y", updated.Metadata.Annotations["x"]);
    }

    private static string ObjectKeysFor(V1ControllerRevision r) => r.Metadata.NamespaceProperty + "/" + r.Metadata.Name;
}
