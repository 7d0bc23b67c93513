using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;

namespace Kubesharp.Api.Tests.Crd;

public sealed class SchemaValidatorTests
{
    private static List<string> Errors(string schema, string value, string? prefix = null) =>
        [.. SchemaValidator.Validate(JsonNode.Parse(value), CrdSchema.Parse(JsonNode.Parse(schema)!), prefix).Select(e => e.ToString())];

    private const string Spec = """{"type":"object","properties":{"spec":{"type":"object","properties":{"PROPS"}}}}""";

    private static string Field(string property) => Spec.Replace("\"PROPS\"", property, StringComparison.Ordinal);

    public static TheoryData<string, string, string, string[]> Cases => new()
    {
        { "integer given a string", "\"replicas\":{\"type\":\"integer\"}", """{"spec":{"replicas":"two"}}""", ["spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""] },
        { "integer given a whole float", "\"replicas\":{\"type\":\"integer\"}", """{"spec":{"replicas":2.0}}""", [] },
        { "integer given a fraction", "\"replicas\":{\"type\":\"integer\"}", """{"spec":{"replicas":2.5}}""", ["spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\""] },
        { "number given an integer", "\"ratio\":{\"type\":\"number\"}", """{"spec":{"ratio":2}}""", [] },
        { "object given a list", "\"opts\":{\"type\":\"object\"}", """{"spec":{"opts":[]}}""", ["spec.opts: Invalid value: \"array\": spec.opts in body must be of type object: \"array\""] },
        { "null not nullable", "\"name\":{\"type\":\"string\"}", """{"spec":{"name":null}}""", ["spec.name: Invalid value: \"null\": spec.name in body must be of type string: \"null\""] },
        { "null nullable", "\"name\":{\"type\":\"string\",\"nullable\":true}", """{"spec":{"name":null}}""", [] },
        { "int-or-string given a bool", "\"port\":{\"x-kubernetes-int-or-string\":true}", """{"spec":{"port":true}}""", ["spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""] },
        { "int-or-string given a string", "\"port\":{\"x-kubernetes-int-or-string\":true}", """{"spec":{"port":"http"}}""", [] },
        { "enum", "\"color\":{\"type\":\"string\",\"enum\":[\"red\",\"blue\"]}", """{"spec":{"color":"pink"}}""", ["spec.color: Unsupported value: \"pink\": supported values: \"red\", \"blue\""] },
        { "integer enum", "\"n\":{\"type\":\"integer\",\"enum\":[1,2]}", """{"spec":{"n":3}}""", ["spec.n: Unsupported value: 3: supported values: \"1\", \"2\""] },
        { "minimum", "\"n\":{\"type\":\"integer\",\"minimum\":1}", """{"spec":{"n":0}}""", ["spec.n: Invalid value: 0: spec.n in body should be greater than or equal to 1"] },
        { "exclusive minimum", "\"n\":{\"type\":\"integer\",\"minimum\":1,\"exclusiveMinimum\":true}", """{"spec":{"n":1}}""", ["spec.n: Invalid value: 1: spec.n in body should be greater than 1"] },
        { "maximum", "\"n\":{\"type\":\"integer\",\"maximum\":10}", """{"spec":{"n":11}}""", ["spec.n: Invalid value: 11: spec.n in body should be less than or equal to 10"] },
        { "exclusive maximum of a number", "\"n\":{\"type\":\"number\",\"maximum\":1.5,\"exclusiveMaximum\":true}", """{"spec":{"n":1.5}}""", ["spec.n: Invalid value: 1.5: spec.n in body should be less than 1.5"] },
        { "multipleOf", "\"n\":{\"type\":\"integer\",\"multipleOf\":5}", """{"spec":{"n":7}}""", ["spec.n: Invalid value: 7: spec.n in body should be a multiple of 5"] },
        { "minLength", "\"s\":{\"type\":\"string\",\"minLength\":3}", """{"spec":{"s":"ab"}}""", ["spec.s: Invalid value: \"ab\": spec.s in body should be at least 3 chars long"] },
        { "maxLength", "\"s\":{\"type\":\"string\",\"maxLength\":3}", """{"spec":{"s":"abcd"}}""", ["spec.s: Too long: may not be more than 3 bytes"] },
        { "maxLength counts characters", "\"s\":{\"type\":\"string\",\"maxLength\":3}", """{"spec":{"s":"äöü"}}""", [] },
        { "pattern", "\"s\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"}", """{"spec":{"s":"AB"}}""", ["spec.s: Invalid value: \"AB\": spec.s in body should match '^[a-z]+$'"] },
        { "minItems", "\"l\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":2}", """{"spec":{"l":["a"]}}""", ["spec.l: Invalid value: 1: spec.l in body should have at least 2 items"] },
        { "maxItems", "\"l\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":1}", """{"spec":{"l":["a","b"]}}""", ["spec.l: Too many: 2: must have at most 1 items"] },
        { "uniqueItems", "\"l\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"uniqueItems\":true}", """{"spec":{"l":[1,2,1]}}""", ["spec.l: Invalid value: \"\": spec.l in body shouldn't contain duplicates"] },
        { "item type", "\"l\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}", """{"spec":{"l":[1,"x"]}}""", ["spec.l[1]: Invalid value: \"string\": spec.l[1] in body must be of type integer: \"string\""] },
        { "required", "\"a\":{\"type\":\"object\",\"required\":[\"b\"],\"properties\":{\"b\":{\"type\":\"string\"}}}", """{"spec":{"a":{}}}""", ["spec.a.b: Required value"] },
        { "date-time format", "\"t\":{\"type\":\"string\",\"format\":\"date-time\"}", """{"spec":{"t":"yesterday"}}""", ["spec.t: Invalid value: \"yesterday\": spec.t in body must be of type date-time: \"yesterday\""] },
        { "date-time format valid", "\"t\":{\"type\":\"string\",\"format\":\"date-time\"}", """{"spec":{"t":"2024-01-02T03:04:05Z"}}""", [] },
        { "uuid format", "\"u\":{\"type\":\"string\",\"format\":\"uuid\"}", """{"spec":{"u":"nope"}}""", ["spec.u: Invalid value: \"nope\": spec.u in body must be of type uuid: \"nope\""] },
        { "unknown formats are ignored", "\"u\":{\"type\":\"string\",\"format\":\"k8s-short-name\"}", """{"spec":{"u":"Anything Goes"}}""", [] },
        { "additionalProperties schema", "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}", """{"spec":{"labels":{"a":"x","b":1}}}""", ["spec.labels.b: Invalid value: \"integer\": spec.labels.b in body must be of type string: \"integer\""] },
        { "maxProperties", "\"m\":{\"type\":\"object\",\"maxProperties\":1,\"additionalProperties\":{\"type\":\"string\"}}", """{"spec":{"m":{"a":"x","b":"y"}}}""", ["spec.m: Too many: 2: must have at most 1 items"] },
        {
            "anyOf", "\"port\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", """{"spec":{"port":true}}""",
            ["<nil>: Invalid value: \"\": \"spec.port\" must validate at least one schema (anyOf)", "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer: \"boolean\""]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Errors_read_as_upstreams(string why, string property, string value, string[] expected)
    {
        var actual = Errors(Field(property), value);

        Assert.True(expected.SequenceEqual(actual), $"{why}: expected [{string.Join(" | ", expected)}], got [{string.Join(" | ", actual)}]");
    }

    [Fact]
    public void A_missing_top_level_required_field_is_named_without_a_dot()
    {
        var errors = Errors("""{"type":"object","required":["spec"],"properties":{"spec":{"type":"object"}}}""", "{}");

        Assert.Equal(["spec: Required value"], errors);
    }

    [Fact]
    public void The_status_validator_names_fields_from_status_in_messages_but_not_in_paths()
    {
        var errors = Errors("""{"type":"object","properties":{"replicas":{"type":"integer"}}}""", """{"replicas":"x"}""", prefix: "status");

        Assert.Equal(["status.replicas: Invalid value: \"string\": replicas in body must be of type integer: \"string\""], errors);
    }

    [Fact]
    public void Causes_carry_upstream_reasons()
    {
        var errors = SchemaValidator.Validate(JsonNode.Parse("""{"spec":{"n":"x","s":"toolong"}}"""), CrdSchema.Parse(JsonNode.Parse(Field("\"n\":{\"type\":\"integer\"},\"s\":{\"type\":\"string\",\"maxLength\":2}"))!));

        Assert.Equal(["FieldValueTypeInvalid", "FieldValueTooLong"], errors.Select(e => e.ToCause().Reason));
        Assert.Equal("Invalid value: \"string\": spec.n in body must be of type integer: \"string\"", errors[0].ToCause().Message);
    }

    [Theory]
    [InlineData("email", "a@b.example", true)]
    [InlineData("email", "not-an-email", false)]
    [InlineData("ipv4", "10.0.0.1", true)]
    [InlineData("ipv4", "10.0.1", false)]
    [InlineData("ipv6", "fe80::1", true)]
    [InlineData("cidr", "10.0.0.0/8", true)]
    [InlineData("cidr", "10.0.0.0/33", false)]
    [InlineData("hostname", "node-1.example.com", true)]
    [InlineData("hostname", "-bad-", false)]
    [InlineData("date", "2024-02-29", true)]
    [InlineData("date", "2023-02-29", false)]
    [InlineData("byte", "aGVsbG8=", true)]
    [InlineData("byte", "hello", false)]
    [InlineData("duration", "1h30m", true)]
    [InlineData("duration", "soon", false)]
    [InlineData("mac", "00:00:5e:00:53:01", true)]
    [InlineData("uri", "https://example.com/x", true)]
    [InlineData("uri", "relative/path", false)]
    [InlineData("datetime", "2024-01-02t03:04:05.123+01:00", true)]
    [InlineData("date-time", "2024-01-02T25:04:05Z", false)]
    public void Formats_are_checked_as_upstream(string format, string value, bool valid)
    {
        Assert.True(SchemaFormats.IsKnown(format));
        Assert.Equal(valid, SchemaFormats.IsValid(format, value));
    }
}
