using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;
using static Kubesharp.Api.Tests.Crd.CrdFixtures;

namespace Kubesharp.Api.Tests.Crd;

public sealed class CrdValidationTests
{
    private static List<string> Create(Action<JsonObject> change) => [.. CrdValidation.ValidateCreate(Definition(change)).Select(e => e.ToString())];

    private const string Dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    // A default is validated by a validator whose root has no name, so upstream's message starts with " in body".
    public static TheoryData<string, Action<JsonObject>, string> Cases => new()
    {
        { "name not plural.group", c => c["metadata"]!["name"] = "widget.example.com", "metadata.name: Invalid value: \"widget.example.com\": must be spec.names.plural+\".\"+spec.group" },
        { "group without a dot", c => { Spec(c)["group"] = "example"; c["metadata"]!["name"] = "widgets.example"; }, "spec.group: Invalid value: \"example\": should be a domain with at least one dot" },
        { "no group", c => Spec(c).Remove("group"), "spec.group: Required value" },
        { "unknown scope", c => Spec(c)["scope"] = "Global", "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"" },
        { "no storage version", c => Version(c)["storage"] = false, "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{apiextensions.CustomResourceDefinitionVersion{Name:\"v1\", Served:true, Storage:false, Deprecated:false}}: must have exactly one version marked as storage version" },
        { "bad version name", c => Version(c)["name"] = "V1", "spec.versions[0].name: Invalid value: \"V1\": " + Dns1035 },
        { "no schema", c => Version(c).Remove("schema"), "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required" },
        { "no kind", c => Spec(c)["names"]!.AsObject().Remove("kind"), "spec.names.kind: Required value" },
        { "bad short name", c => Spec(c)["names"]!["shortNames"] = new JsonArray("W_D"), "spec.names.shortNames[0]: Invalid value: \"W_D\": " + Dns1035 },
        { "kind equals listKind", c => Spec(c)["names"]!["listKind"] = "Widget", "spec.names.listKind: Invalid value: \"Widget\": kind and listKind may not be the same" },
        { "field without type", c => CrdFixtures.Schema(c)["properties"]!["spec"]!["properties"]!["color"]!.AsObject().Remove("type"), "spec.validation.openAPIV3Schema.properties[spec].properties[color].type: Required value: must not be empty for specified object fields" },
        { "array without items", c => CrdFixtures.Schema(c)["properties"]!["spec"]!["properties"]!["list"] = new JsonObject { ["type"] = "array" }, "spec.validation.openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified" },
        { "root not an object", c => CrdFixtures.Schema(c)["type"] = "string", "spec.validation.openAPIV3Schema.type: Invalid value: \"string\": only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled" },
        { "metadata restricted", c => CrdFixtures.Schema(c)["properties"]!["metadata"] = JsonNode.Parse("""{"type":"object","properties":{"labels":{"type":"object"}}}"""), "spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified" },
        { "unknown type", c => CrdFixtures.Schema(c)["properties"]!["spec"]!["properties"]!["color"]!["type"] = "text", "spec.validation.openAPIV3Schema.properties[spec].properties[color].type: Unsupported value: \"text\": supported values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", \"string\"" },
        { "uniqueItems", c => CrdFixtures.Schema(c)["properties"]!["spec"]!["properties"]!["list"] = JsonNode.Parse("""{"type":"array","items":{"type":"string"},"uniqueItems":true}"""), "spec.validation.openAPIV3Schema.properties[spec].properties[list].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic" },
        { "preserve-unknown-fields false", c => CrdFixtures.Schema(c)["properties"]!["spec"]!["x-kubernetes-preserve-unknown-fields"] = false, "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined" },
        { "default of the wrong type", c => CrdFixtures.Schema(c)["properties"]!["spec"]!["properties"]!["color"]!["default"] = 5, "spec.validation.openAPIV3Schema.properties[spec].properties[color].default: Invalid value: \"integer\":  in body must be of type string: \"integer\"" },
        { "default in metadata", c => CrdFixtures.Schema(c)["properties"]!["metadata"] = JsonNode.Parse("""{"type":"object","default":{}}"""), "spec.validation.openAPIV3Schema.properties[metadata].default: Forbidden: must not be set in top-level metadata" },
        { "printer column type", c => Version(c)["additionalPrinterColumns"]![0]!["type"] = "float", "spec.additionalPrinterColumns[0].type: Invalid value: \"float\": must be one of boolean,date,integer,number,string" },
        { "printer column path", c => Version(c)["additionalPrinterColumns"]![0]!["jsonPath"] = "spec.replicas", "spec.additionalPrinterColumns[0].JSONPath: Invalid value: \"spec.replicas\": must be a simple json path starting with ." },
        { "scale path outside spec", c => Version(c)["subresources"]!["scale"]!["specReplicasPath"] = ".status.replicas", "spec.subresources.scale.specReplicasPath: Invalid value: \".status.replicas\": should be a json path under .spec" },
        { "protected group", c => { Spec(c)["group"] = "things.k8s.io"; c["metadata"]!["name"] = "widgets.things.k8s.io"; }, "metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation \"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111" },
        { "preserveUnknownFields", c => Spec(c)["preserveUnknownFields"] = true, "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Invalid_definitions_get_upstreams_causes(string why, Action<JsonObject> change, string expected)
    {
        var errors = Create(change);

        Assert.True(errors.Contains(expected), $"{why}: expected {expected}, got [{string.Join(" | ", errors)}]");
    }

    [Fact]
    public void A_valid_definition_has_no_errors()
    {
        Assert.Empty(Create(_ => { }));
    }

    [Fact]
    public void Schemas_that_differ_per_version_are_reported_per_version()
    {
        var errors = Create(c =>
        {
            var v2 = Version(c).DeepClone().AsObject();
            v2["name"] = "v2";
            v2["storage"] = false;
            ((JsonArray)Spec(c)["versions"]!).Add(v2);
            CrdFixtures.Schema(c, 1)["properties"]!["spec"]!["properties"]!["color"]!.AsObject().Remove("type");
        });

        Assert.Equal(["spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[color].type: Required value: must not be empty for specified object fields"], errors);
    }

    [Fact]
    public void Preserve_unknown_fields_and_int_or_string_stand_in_for_a_type()
    {
        Assert.Empty(Create(c =>
        {
            var props = CrdFixtures.Schema(c)["properties"]!["spec"]!["properties"]!.AsObject();
            props["anything"] = new JsonObject { ["x-kubernetes-preserve-unknown-fields"] = true };
            props["port"] = JsonNode.Parse("""{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]}""");
        }));
    }

    [Fact]
    public void Group_and_plural_are_immutable_and_kind_once_established()
    {
        var oldJson = Definition();
        oldJson["status"] = JsonNode.Parse("""{"acceptedNames":{"plural":"widgets","kind":"Widget"},"storedVersions":["v1"],"conditions":[{"type":"Established","status":"True"}]}""");
        var updated = Definition(c =>
        {
            Spec(c)["names"]!["kind"] = "Gadget";
            Spec(c)["names"]!["listKind"] = "GadgetList";
        });

        var errors = CrdValidation.ValidateUpdate(updated, oldJson).Select(e => e.ToString());

        Assert.Contains("spec.names.kind: Invalid value: \"Gadget\": field is immutable", errors);
    }

    [Fact]
    public void A_stored_version_must_stay_in_spec_versions()
    {
        var crd = Definition(c => c["status"]!["storedVersions"] = new JsonArray("v1", "v1beta1"));

        var errors = CrdValidation.ValidateUpdate(crd, Definition()).Select(e => e.ToString());

        Assert.Contains("status.storedVersions[1]: Invalid value: \"v1beta1\": must appear in spec.versions", errors);
    }

    [Fact]
    public void A_body_of_the_wrong_shape_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => CrdValidation.ValidateCreate(Definition(c => Version(c)["served"] = "yes")));
    }
}
