using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;

namespace Kubesharp.Api.Tests.Crd;

public sealed class SchemaPruningTests
{
    private const string Schema = """
        {"type":"object","properties":{
          "spec":{"type":"object","properties":{
            "replicas":{"type":"integer","default":1},
            "color":{"type":"string","default":"red"},
            "labels":{"type":"object","additionalProperties":{"type":"string"}},
            "extra":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"inner":{"type":"object","properties":{"kept":{"type":"string"}}}}},
            "items":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"weight":{"type":"integer","default":5}}}},
            "template":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}},
            "nullable":{"type":"string","nullable":true},
            "plain":{"type":"string"},
            "defaulted":{"type":"string","default":"d"}}},
          "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}}
        """;

    private static CrdSchema Parsed => CrdSchema.Parse(JsonNode.Parse(Schema)!);

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Unknown_fields_are_dropped_and_reported_with_their_paths()
    {
        var obj = Obj("""{"apiVersion":"x/v1","kind":"K","metadata":{"name":"a"},"spec":{"replicas":2,"bogus":1,"items":[{"name":"a","oops":true}]},"top":1}""");

        var pruned = SchemaPruner.Prune(obj, Parsed, isResourceRoot: true);

        Assert.Equal(["spec.bogus", "spec.items[0].oops", "top"], pruned);
        Assert.Equal("""{"apiVersion":"x/v1","kind":"K","metadata":{"name":"a"},"spec":{"replicas":2,"items":[{"name":"a"}]}}""", obj.ToJsonString());
    }

    [Fact]
    public void Preserve_unknown_fields_keeps_them_but_prunes_specified_fields_inside()
    {
        var obj = Obj("""{"spec":{"extra":{"anything":{"deep":1},"inner":{"kept":"k","gone":"g"}}}}""");

        SchemaPruner.Prune(obj, Parsed, isResourceRoot: true);

        Assert.Equal("""{"spec":{"extra":{"anything":{"deep":1},"inner":{"kept":"k"}}}}""", obj.ToJsonString());
    }

    [Fact]
    public void Maps_keep_their_keys_and_embedded_resources_keep_their_meta_fields()
    {
        var obj = Obj("""{"spec":{"labels":{"a":"b","c":"d"},"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{},"junk":1}}}""");

        var pruned = SchemaPruner.Prune(obj, Parsed, isResourceRoot: true);

        Assert.Equal(["spec.template.junk"], pruned);
        Assert.Equal("""{"spec":{"labels":{"a":"b","c":"d"},"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{}}}}""", obj.ToJsonString());
    }

    [Fact]
    public void Defaults_fill_absent_fields_and_non_nullable_nulls_recursively()
    {
        var obj = Obj("""{"spec":{"color":null,"items":[{"name":"a"},{"name":"b","weight":2}]}}""");

        SchemaDefaulter.Default(obj, Parsed);

        Assert.Equal("""{"spec":{"color":"red","items":[{"name":"a","weight":5},{"name":"b","weight":2}],"replicas":1,"defaulted":"d"}}""", obj.ToJsonString());
    }

    [Fact]
    public void Defaults_do_not_create_a_missing_parent()
    {
        var obj = Obj("""{"status":{}}""");

        SchemaDefaulter.Default(obj, Parsed);

        Assert.Equal("""{"status":{}}""", obj.ToJsonString());
    }

    [Fact]
    public void Nulls_that_are_neither_nullable_nor_defaulted_are_dropped()
    {
        var obj = Obj("""{"spec":{"plain":null,"nullable":null}}""");

        SchemaDefaulter.PruneNonNullableNulls(obj, Parsed);

        Assert.Equal("""{"spec":{"nullable":null}}""", obj.ToJsonString());
    }

    [Fact]
    public void Metadata_keeps_only_object_meta_fields_and_drops_empty_ones()
    {
        var obj = Obj("""{"metadata":{"name":"a","labels":{"x":"y"},"annotations":{},"color":"blue","generation":0,"finalizers":["f"]}}""");

        var unknown = ObjectMetaCoercion.CoerceRoot(obj);

        Assert.Equal(["metadata.color"], unknown);
        Assert.Equal("""{"metadata":{"name":"a","labels":{"x":"y"},"finalizers":["f"]}}""", obj.ToJsonString());
    }

    [Fact]
    public void Metadata_of_the_wrong_shape_is_refused()
    {
        var e = Assert.Throws<FormatException>(() => ObjectMetaCoercion.CoerceRoot(Obj("""{"metadata":{"labels":{"a":1}}}""")));

        Assert.Contains("ObjectMeta.metadata.labels of type map[string]string", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_resources_need_apiVersion_and_kind()
    {
        var errors = new List<FieldError>();

        ObjectMetaCoercion.ValidateEmbedded(Obj("""{"spec":{"template":{"kind":"Bad_Kind","spec":{}}}}"""), Parsed, "", errors);

        Assert.Equal(
            ["spec.template.apiVersion: Required value: must not be empty", "spec.template.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
            errors.Select(e => e.ToString()));
    }
}
