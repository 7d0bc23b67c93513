using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;
using static Kubesharp.Api.Tests.Crd.CrdFixtures;

namespace Kubesharp.Api.Tests.Crd;

public sealed class CustomResourceStrategyTests
{
    private static CustomResourceInfo Info => CustomResourceInfo.Rows(Established())[0].Custom!;

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Decoding_defaults_prunes_and_cleans_metadata_then_create_drops_status()
    {
        var obj = Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","color":"x"},"spec":{"replicas":2,"junk":1},"status":{"replicas":9}}""");

        var unknown = CustomResourceStrategy.Decode(Info, obj);
        CustomResourceStrategy.PrepareForCreate(Info, obj);

        Assert.Equal(["metadata.color", "spec.junk"], unknown);
        Assert.Equal("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","generation":1},"spec":{"replicas":2,"color":"red"}}""", obj.ToJsonString());
        Assert.Empty(CustomResourceStrategy.ValidateCreate(Info, obj));
    }

    [Fact]
    public void Generation_moves_when_anything_but_metadata_changes()
    {
        var old = Obj("""{"metadata":{"name":"w","generation":3},"spec":{"replicas":2}}""");
        var labelsOnly = Obj("""{"metadata":{"name":"w","generation":3,"labels":{"a":"b"}},"spec":{"replicas":2}}""");
        var specChange = Obj("""{"metadata":{"name":"w","generation":3},"spec":{"replicas":3}}""");

        CustomResourceStrategy.PrepareForUpdate(labelsOnly, old);
        CustomResourceStrategy.PrepareForUpdate(specChange, old);

        Assert.Equal(3, labelsOnly["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal(4, specChange["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public void Kind_and_apiVersion_must_match_the_version_served()
    {
        var errors = CustomResourceStrategy.ValidateCreate(Info, Obj("""{"apiVersion":"example.com/v2","kind":"Gadget","metadata":{"name":"w"}}"""));

        Assert.Equal(["kind: Invalid value: \"Gadget\": must be Widget", "apiVersion: Invalid value: \"example.com/v2\": must be example.com/v1"], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Scale_paths_must_hold_non_negative_integers()
    {
        var errors = CustomResourceStrategy.ValidateCreate(Info, Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":-1},"status":{"selector":5}}"""));

        Assert.Contains("spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0", errors.Select(e => e.ToString()));
        Assert.Contains(".spec.replicas: Invalid value: -1: should be a non-negative integer", errors.Select(e => e.ToString()));
        Assert.Contains(".status.selector: Invalid value: \"\": .status.selector accessor error: 5 is of the type int64, expected string", errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Errors_on_values_an_update_did_not_change_are_ratcheted()
    {
        var old = Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":-1,"color":"red"}}""");
        var unchanged = Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":-1,"color":"blue"}}""");
        var changed = Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":-2,"color":"blue"}}""");

        var kept = CustomResourceStrategy.ValidateUpdate(Info, unchanged, old, status: false).Select(e => e.ToString());
        var refused = CustomResourceStrategy.ValidateUpdate(Info, changed, old, status: false).Select(e => e.ToString());

        Assert.DoesNotContain("spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0", kept);
        Assert.Contains("spec.replicas: Invalid value: -2: spec.replicas in body should be greater than or equal to 0", refused);
    }

    [Fact]
    public void A_status_update_is_checked_against_the_status_schema_only()
    {
        var old = Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":1}}""");
        var updated = Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":1},"status":{"replicas":"many"}}""");

        var errors = CustomResourceStrategy.ValidateUpdate(Info, updated, old, status: true).Select(e => e.ToString());

        Assert.Contains("status.replicas: Invalid value: \"string\": replicas in body must be of type integer: \"string\"", errors);
    }

    [Fact]
    public void The_scale_view_reads_the_paths()
    {
        var scale = CustomResourceStrategy.ToScale(Obj("""{"metadata":{"name":"w","namespace":"n","uid":"u"},"spec":{"replicas":3},"status":{"replicas":2,"selector":"app=w"}}"""), Info.Scale!);

        Assert.Equal("""{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"w","namespace":"n","uid":"u"},"spec":{"replicas":3},"status":{"replicas":2,"selector":"app=w"}}""", scale.ToJsonString());
    }
}
