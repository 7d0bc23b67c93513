using System.Text;
using Kubesharp.Api.Schema;
using Kubesharp.Api.Schema.Fields;
using Kubesharp.Api.Schema.Models;

namespace Kubesharp.Api.Tests.Schema;

public sealed class FieldCheckerTests
{
    private static readonly ApiSchema Pod = BuiltinSchemas.Instance.ForKind("", "v1", "Pod")!;
    private static readonly ApiSchema Deployment = BuiltinSchemas.Instance.ForKind("apps", "v1", "Deployment")!;

    private static string[] Check(ApiSchema schema, string json) =>
        [.. FieldChecker.Check(Encoding.UTF8.GetBytes(json), schema).Select(p => p.Message)];

    public static TheoryData<string, string, string[]> Cases => new()
    {
        {
            "a valid pod",
            """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"1"},"annotations":{"b":"2"}},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"1"}},"livenessProbe":{"httpGet":{"port":"http"}}}]},"status":{"phase":"Pending"}}""",
            []
        },
        { "an unknown top-level field", """{"kind":"Pod","spek":{}}""", ["unknown field \"spek\""] },
        { "an unknown field in a list item", """{"spec":{"containers":[{"name":"a"},{"name":"b","imagePullPolcy":"Always"}]}}""", ["unknown field \"spec.containers[1].imagePullPolcy\""] },
        { "a repeated known field", """{"metadata":{"name":"a","name":"b"}}""", ["duplicate field \"metadata.name\""] },
        { "a repeated unknown field is unknown once", """{"spec":{"x":1,"x":2}}""", ["unknown field \"spec.x\""] },
        { "a repeated map key", """{"metadata":{"labels":{"a":"1","b":"2","a":"3"}}}""", ["duplicate field \"metadata.labels.a\""] },
        { "map keys are free", """{"metadata":{"labels":{"anything.example.com/x":"1"}},"spec":{"nodeSelector":{"zone":"a"}}}""", [] },
        { "free JSON is checked for repeats only", """{"metadata":{"managedFields":[{"fieldsV1":{"f:a":{},"f:a":{},"other":1}}]}}""", ["duplicate field \"metadata.managedFields[0].fieldsV1.f:a\""] },
        { "an escaped name is decoded", """{"spec":{"\u0078y":1}}""", ["unknown field \"spec.xy\""] },
        { "a value of the wrong type is reported and not looked into", """{"spec":"text","metadata":[1,{"x":1}]}""",
            ["json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec", "json: cannot unmarshal array into Go struct field Pod.metadata of type v1.ObjectMeta"] },
        { "a boolean label is Go's type error, map key left out of the path", """{"metadata":{"labels":{"enabled":true}}}""",
            ["json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string"] },
        { "a string where an integer goes, inside a list", """{"spec":{"containers":[{"name":"c","ports":[{"containerPort":"80"}]}]}}""",
            ["json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"] },
        { "a fraction where an integer goes", """{"spec":{"terminationGracePeriodSeconds":1.5}}""",
            ["json: cannot unmarshal number 1.5 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64"] },
        { "int-or-string and quantities take both forms", """{"spec":{"containers":[{"name":"c","livenessProbe":{"httpGet":{"port":8080}},"resources":{"limits":{"cpu":1,"memory":"1Gi"}}}]}}""", [] },
        { "null values are fine", """{"spec":null,"metadata":{"labels":null}}""", [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Finds_unknown_and_duplicate_fields(string name, string json, string[] expected)
    {
        Assert.True(expected.SequenceEqual(Check(Pod, json)), $"{name}: got [{string.Join(", ", Check(Pod, json))}]");
    }

    [Fact]
    public void Reports_upstreams_example_in_document_order()
    {
        // The body of upstream's field validation integration test (test/integration/apiserver/field_validation_test.go).
        const string body = """
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"dupename","name":"x","labels":{"app":"nginx"},"unknownMeta":"metaVal"},
             "spec":{"unknown1":"val1","unknownDupe":"valDupe","unknownDupe":"valDupe2","paused":true,"paused":false,
               "selector":{"matchLabels":{"app":"nginx"}},
               "template":{"metadata":{"labels":{"app":"nginx"}},
                 "spec":{"containers":[{"name":"nginx","image":"nginx:latest","unknownNested":"val1","imagePullPolicy":"Always","imagePullPolicy":"Never"}]}}}}
            """;

        Assert.Equal(
            [
                "duplicate field \"metadata.name\"",
                "unknown field \"metadata.unknownMeta\"",
                "unknown field \"spec.unknown1\"",
                "unknown field \"spec.unknownDupe\"",
                "duplicate field \"spec.paused\"",
                "unknown field \"spec.template.spec.containers[0].unknownNested\"",
                "duplicate field \"spec.template.spec.containers[0].imagePullPolicy\"",
            ],
            Check(Deployment, body));
    }

    [Fact]
    public void Stops_at_a_hundred_problems()
    {
        var json = "{" + string.Join(",", Enumerable.Range(0, 150).Select(i => $"\"f{i}\":1")) + "}";

        Assert.Equal(FieldChecker.MaxProblems, Check(Pod, json).Length);
    }

    [Fact]
    public void Malformed_json_is_left_to_the_parser()
    {
        Assert.Empty(Check(Pod, """{"spec":{"x":"""));
    }

    [Fact]
    public void Large_maps_still_find_repeats()
    {
        var keys = Enumerable.Range(0, 40).Select(i => $"\"k{i}\":\"v\"").Append("\"k3\":\"again\"").Append("\"k39\":\"again\"");
        var json = "{\"metadata\":{\"annotations\":{" + string.Join(",", keys) + "}}}";

        Assert.Equal(["duplicate field \"metadata.annotations.k3\"", "duplicate field \"metadata.annotations.k39\""], Check(Pod, json));
    }

    [Fact]
    public void Patch_bodies_are_checked_for_repeats_anywhere()
    {
        var problems = FieldChecker.Duplicates("""[{"op":"add","path":"/a","value":{"x":1,"x":2}},{"op":"remove","op":"test"}]"""u8);

        Assert.Equal(["[0].value.x", "[1].op"], problems.Select(p => p.Path));
    }

    [Fact]
    public void An_object_that_preserves_unknown_fields_checks_only_repeats()
    {
        var inner = new ApiSchema(SchemaShape.String);
        var schema = new ApiSchema(SchemaShape.Object, "example.v1.Thing").Complete([new ApiProperty("known", inner)], preserveUnknownFields: true);

        Assert.Equal(["duplicate field \"other.y\""], Check(schema, """{"known":"a","other":{"y":1,"y":2}}"""));
    }
}
