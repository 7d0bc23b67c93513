using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Patch;
using static Kubesharp.Api.Tests.Patch.PatchAssert;

namespace Kubesharp.Api.Tests.Patch;

public sealed class JsonMergePatchTests
{
    // RFC 7386 appendix A, every row: original, patch, result.
    public static TheoryData<string, string, string, string> RfcExamples => new()
    {
        { "changing a member", """{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""" },
        { "adding a member", """{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""" },
        { "removing the only member", """{"a":"b"}""", """{"a":null}""", """{}""" },
        { "removing one member", """{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""" },
        { "a list replaced by a string", """{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""" },
        { "a string replaced by a list", """{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""" },
        { "a nested object merged", """{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""" },
        { "a list of objects replaced", """{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""" },
        { "a list replaced by a list", """["a","b"]""", """["c","d"]""", """["c","d"]""" },
        { "an object replaced by a list", """{"a":"b"}""", """["c"]""", """["c"]""" },
        { "an object replaced by null", """{"a":"foo"}""", "null", "null" },
        { "an object replaced by a string", """{"a":"foo"}""", "\"bar\"", "\"bar\"" },
        { "a null in the original stays", """{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""" },
        { "a list replaced by an object, nulls dropped", "[1,2]", """{"a":"b","c":null}""", """{"a":"b"}""" },
        { "nulls dropped from a new nested object", "{}", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""" },
    };

    // What the apiserver does with object patches, including where evanphx/json-patch differs from the RFC.
    public static TheoryData<string, string, string, string> ServerCases => new()
    {
        { "kubectl scale", """{"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}}}}""", """{"spec":{"replicas":3}}""", """{"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}}}}""" },
        { "a label added and one removed", """{"metadata":{"labels":{"a":"1","b":"2"}}}""", """{"metadata":{"labels":{"b":null,"c":"3"}}}""", """{"metadata":{"labels":{"a":"1","c":"3"}}}""" },
        { "containers are replaced, not merged", """{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}}""", """{"spec":{"containers":[{"name":"a","image":"y"}]}}""", """{"spec":{"containers":[{"name":"a","image":"y"}]}}""" },
        { "null of a missing member is ignored", """{"a":1}""", """{"b":null}""", """{"a":1}""" },
        { "upstream drops nulls inside a list it sets", """{"a":1}""", """{"list":[{"x":1,"y":null},null]}""", """{"a":1,"list":[{"x":1},null]}""" },
        { "upstream keeps them when the list replaces an object", """{"o":{"k":1}}""", """{"o":[{"y":null}]}""", """{"o":[{"y":null}]}""" },
        { "an object set over a scalar loses its nulls", """{"a":"s"}""", """{"a":{"b":null,"c":1}}""", """{"a":{"c":1}}""" },
        { "an empty patch changes nothing", """{"a":{"b":1}}""", "{}", """{"a":{"b":1}}""" },
    };

    public static TheoryData<string, string, string> Refused => new()
    {
        { "null", "null", "Invalid JSON Patch" },
        { "a list", "[1]", "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}" },
        { "a string", "\"x\"", "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}" },
        { "a number", "1", "error decoding patch: json: cannot unmarshal number into Go value of type map[string]interface {}" },
        { "not JSON", "{\"a\":", "error decoding patch: " },
    };

    [Theory]
    [MemberData(nameof(RfcExamples))]
    public void Follows_rfc_7386(string name, string original, string patch, string expected)
    {
        JsonEqual(expected, JsonMergePatch.Merge(JsonNode.Parse(original), JsonNode.Parse(patch)), name);
    }

    [Theory]
    [MemberData(nameof(ServerCases))]
    public void Applies_object_patches_as_the_apiserver(string name, string original, string patch, string expected)
    {
        JsonEqual(expected, JsonMergePatch.Apply(Parse(original), Utf8(patch)), name);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_what_is_not_an_object_with_400_as_the_apiserver(string name, string patch, string message)
    {
        var e = Fails(() => JsonMergePatch.Apply(Parse("""{"a":1}"""), Utf8(patch)));

        Assert.True(HttpStatusCode.BadRequest == e.Code, $"{name}: expected 400, got {(int)e.Code}");
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Changes_the_target_in_place()
    {
        var target = Parse("""{"a":{"b":1}}""");

        var result = JsonMergePatch.Apply(target, Utf8("""{"a":{"c":2}}"""));

        Assert.Same(target, result);
        JsonEqual("""{"a":{"b":1,"c":2}}""", target);
    }

    [Fact]
    public void Decodes_broken_strings_as_go_does_instead_of_failing()
    {
        byte[] invalidUtf8 = [.. Utf8("""{"b":"x"""), 0xff, .. Utf8("\"}")];

        var result = JsonMergePatch.Apply(Parse("{}"), Utf8("""{"a\ud800":"\udc00!","ok":"\ud83d\ude00"}"""));
        result = JsonMergePatch.Apply(result, invalidUtf8);

        Assert.Equal("\uFFFD!", result["a\uFFFD"]!.GetValue<string>());
        Assert.Equal("\U0001F600", result["ok"]!.GetValue<string>());
        Assert.Equal("x\uFFFD", result["b"]!.GetValue<string>());
    }
}
