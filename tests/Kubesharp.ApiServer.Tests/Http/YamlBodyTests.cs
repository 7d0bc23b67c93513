using System.Net;
using System.Text;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Http;

namespace Kubesharp.ApiServer.Tests.Http;

public sealed class YamlBodyTests
{
    private static (string Json, IReadOnlyList<string> Duplicates) Convert(string yaml)
    {
        var (json, duplicates) = YamlBody.ToJson(Encoding.UTF8.GetBytes(yaml));
        return (Encoding.UTF8.GetString(json), duplicates);
    }

    public static TheoryData<string, string, string> Cases => new()
    {
        { "a manifest", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n", """{"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"name":"c"}}""" },
        { "keys sorted as Go marshals maps", "b: 1\na: 2\n", """{"a":2,"b":1}""" },
        { "YAML 1.1 booleans", "a: yes\nb: Off\nc: true\nd: \"yes\"\n", """{"a":true,"b":false,"c":true,"d":"yes"}""" },
        { "nulls", "a: ~\nb:\nc: null\n", """{"a":null,"b":null,"c":null}""" },
        { "numbers", "a: 42\nb: -7\nc: 1.5\nd: 0x1F\ne: 1_000\nf: '42'\n", """{"a":42,"b":-7,"c":1.5,"d":31,"e":1000,"f":"42"}""" },
        { "block and flow collections", "l:\n- 1\n- {x: a}\nm: {k: [v, w]}\n", """{"l":[1,{"x":"a"}],"m":{"k":["v","w"]}}""" },
        { "literal text", "s: |\n  line one\n  line two\n", """{"s":"line one\nline two\n"}""" },
        { "anchors, aliases and merges", "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\ncopy: *b\n", """{"base":{"x":1,"y":2},"copy":{"x":1,"y":2},"other":{"x":1,"y":3}}""" },
        { "only the first document", "a: 1\n---\nb: 2\n", """{"a":1}""" },
        { "an empty body", "", "null" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Converts_yaml_as_upstreams_decoder_reads_it(string name, string yaml, string expected)
    {
        var (json, duplicates) = Convert(yaml);

        Assert.True(expected == json, $"{name}: {json}");
        Assert.Empty(duplicates);
    }

    [Fact]
    public void Repeated_keys_keep_the_last_value_and_are_reported_with_their_line()
    {
        var (json, duplicates) = Convert("metadata:\n  name: a\n  name: b\nspec:\n  paused: true\n  paused: false\n");

        Assert.Equal("""{"metadata":{"name":"b"},"spec":{"paused":false}}""", json);
        Assert.Equal(["line 3: key \"name\" already set in map", "line 6: key \"paused\" already set in map"], duplicates);
    }

    [Fact]
    public void Malformed_yaml_is_a_bad_request_naming_the_line()
    {
        var e = Assert.Throws<StatusException>(() => Convert("metadata:\n  name: a\n bad: [\n"));

        Assert.Equal(HttpStatusCode.BadRequest, e.Code);
        Assert.StartsWith("error converting YAML to JSON: yaml: line ", e.Message, StringComparison.Ordinal);
    }
}
