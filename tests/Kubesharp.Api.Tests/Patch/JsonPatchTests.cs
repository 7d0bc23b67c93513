using System.Net;
using Kubesharp.Api.Patch;
using static Kubesharp.Api.Tests.Patch.PatchAssert;

namespace Kubesharp.Api.Tests.Patch;

public sealed class JsonPatchTests
{
    // RFC 6902 appendix A, the examples that succeed.
    public static TheoryData<string, string, string, string> RfcExamples => new()
    {
        { "A.1 adding an object member", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""" },
        { "A.2 adding an array element", """{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""" },
        { "A.3 removing an object member", """{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""" },
        { "A.4 removing an array element", """{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""" },
        { "A.5 replacing a value", """{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""" },
        { "A.6 moving a value", """{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""" },
        { "A.7 moving an array element", """{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""" },
        { "A.8 testing a value: success", """{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""" },
        { "A.10 adding a nested member object", """{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""" },
        { "A.11 ignoring unrecognized elements", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux","xyz":123}]""", """{"foo":"bar","baz":"qux"}""" },
        { "A.14 ~ escape ordering", """{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""" },
        { "A.16 adding an array value", """{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""" },
        { "copy duplicates a value", """{"a":{"b":1}}""", """[{"op":"copy","from":"/a","path":"/c"},{"op":"replace","path":"/c/b","value":2}]""", """{"a":{"b":1},"c":{"b":2}}""" },
        { "ops run in order on the result of the previous ones", """{"a":[]}""", """[{"op":"add","path":"/a/-","value":1},{"op":"add","path":"/a/0","value":0},{"op":"test","path":"/a","value":[0,1]}]""", """{"a":[0,1]}""" },
        { "a label with a slash in its key", """{"metadata":{"labels":{}}}""", """[{"op":"add","path":"/metadata/labels/app.kubernetes.io~1name","value":"web"}]""", """{"metadata":{"labels":{"app.kubernetes.io/name":"web"}}}""" },
        { "scaling a deployment", """{"spec":{"replicas":1,"paused":false}}""", """[{"op":"test","path":"/spec/replicas","value":1},{"op":"replace","path":"/spec/replicas","value":3}]""", """{"spec":{"replicas":3,"paused":false}}""" },
        { "a null patch changes nothing", """{"a":1}""", "null", """{"a":1}""" },
        { "an empty list of operations changes nothing", """{"a":1}""", "[]", """{"a":1}""" },
    };

    // evanphx/json-patch v4, which the apiserver uses, departs from the RFC in these; clients see it.
    public static TheoryData<string, string, string, string> UpstreamBehaviour => new()
    {
        { "replace of a missing member adds it", """{"a":1}""", """[{"op":"replace","path":"/b","value":2}]""", """{"a":1,"b":2}""" },
        { "a negative index counts from the end", """{"a":[1,2,3]}""", """[{"op":"remove","path":"/a/-1"},{"op":"replace","path":"/a/-2","value":0}]""", """{"a":[0,2]}""" },
        { "add at index -1 appends", """{"a":[1,2]}""", """[{"op":"add","path":"/a/-1","value":3}]""", """{"a":[1,2,3]}""" },
        { "test of a missing member against null passes", """{"a":1}""", """[{"op":"test","path":"/b","value":null}]""", """{"a":1}""" },
        { "test of a null member against null passes", """{"a":null}""", """[{"op":"test","path":"/a","value":null}]""", """{"a":null}""" },
        { "copy from a missing member copies null", """{"a":1}""", """[{"op":"copy","from":"/missing","path":"/b"}]""", """{"a":1,"b":null}""" },
        { "add without a value adds null", """{"a":1}""", """[{"op":"add","path":"/b"}]""", """{"a":1,"b":null}""" },
        { "a path without a leading slash uses its last segment", """{"a":1}""", """[{"op":"add","path":"x/y","value":2}]""", """{"a":1,"y":2}""" },
        { "an index may carry a plus sign", """{"a":[1,2]}""", """[{"op":"remove","path":"/a/+0"}]""", """{"a":[2]}""" },
        { "replace of the whole document", """{"a":1}""", """[{"op":"replace","path":"","value":{"b":2}}]""", """{"b":2}""" },
        { "replace of the whole document by a scalar does nothing", """{"a":1}""", """[{"op":"replace","path":"","value":1}]""", """{"a":1}""" },
        { "replace of the whole document by null does nothing", """{"a":1}""", """[{"op":"replace","path":"","value":null}]""", """{"a":1}""" },
        { "test of the whole document", """{"a":[1]}""", """[{"op":"test","path":"","value":{"a":[1]}}]""", """{"a":[1]}""" },
        { "strings are compared by value, not spelling", """{"a":"a"}""", """[{"op":"test","path":"/a","value":"\u0061"}]""", """{"a":"a"}""" },
        { "the last of two duplicate members wins", """{"a":1}""", """[{"op":"add","path":"/b","value":1,"value":2}]""", """{"a":1,"b":2}""" },
    };

    // Patches that decode but cannot be applied: upstream's generic 422.
    public static TheoryData<string, string, string> NotApplicable => new()
    {
        { "A.9 testing a value: error", """{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""" },
        { "A.12 adding to a nonexistent target", """{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""" },
        { "A.13 invalid patch document (the last op member wins)", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux","op":"remove"}]""" },
        { "A.15 comparing strings and numbers", """{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":"10"}]""" },
        { "numbers are compared by their text", """{"a":1}""", """[{"op":"test","path":"/a","value":1.0}]""" },
        { "test of a present member against null", """{"a":1}""", """[{"op":"test","path":"/a","value":null}]""" },
        { "remove of a missing member", """{"a":1}""", """[{"op":"remove","path":"/b"}]""" },
        { "remove below a missing member", """{"a":1}""", """[{"op":"remove","path":"/b/c"}]""" },
        { "add past the end of an array", """{"a":[1,2]}""", """[{"op":"add","path":"/a/3","value":3}]""" },
        { "remove past the end of an array", """{"a":[1,2]}""", """[{"op":"remove","path":"/a/2"}]""" },
        { "an index too negative", """{"a":[1,2]}""", """[{"op":"remove","path":"/a/-3"}]""" },
        { "replace at the append index", """{"a":[1,2]}""", """[{"op":"replace","path":"/a/-","value":3}]""" },
        { "an index that is not a number", """{"a":[1,2]}""", """[{"op":"add","path":"/a/x","value":3}]""" },
        { "walking through a scalar", """{"a":"s"}""", """[{"op":"add","path":"/a/b","value":1}]""" },
        { "add to the whole document", """{"a":1}""", """[{"op":"add","path":"","value":{}}]""" },
        { "remove the whole document", """{"a":1}""", """[{"op":"remove","path":""}]""" },
        { "replace the whole document without a value", """{"a":1}""", """[{"op":"replace","path":""}]""" },
        { "move from a missing member", """{"a":1}""", """[{"op":"move","from":"/b","path":"/c"}]""" },
        { "move into its own child", """{"a":{"b":{}}}""", """[{"op":"move","from":"/a","path":"/a/b/c"}]""" },
        { "an unknown op", """{"a":1}""", """[{"op":"frobnicate","path":"/a"}]""" },
        { "an operation without op", """{"a":1}""", """[{"path":"/a"}]""" },
        { "a null operation", """{"a":1}""", "[null]" },
        { "an operation without path", """{"a":1}""", """[{"op":"add","value":1}]""" },
        { "move without from", """{"a":1}""", """[{"op":"move","path":"/b"}]""" },
        { "a failure after a success", """{"a":1}""", """[{"op":"add","path":"/b","value":2},{"op":"test","path":"/b","value":3}]""" },
    };

    // Bodies that are not a list of operations: 400 with Go's decoder wording.
    public static TheoryData<string, string, string> Malformed => new()
    {
        { "not JSON", "[}", "error decoding patch: " },
        { "truncated JSON", "[{\"op\":", "error decoding patch: unexpected end of JSON input" },
        { "blanks only", "  ", "error decoding patch: unexpected end of JSON input" },
        { "an empty body", "", "error decoding patch: unexpected end of JSON input" },
        { "an object", """{"op":"add"}""", "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp" },
        { "a list of strings", """["add"]""", "error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp" },
        { "a number as op", """[{"op":1,"path":"/a"}]""", "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string" },
        { "an object as path", """[{"op":"add","path":{}}]""", "error decoding patch: json: cannot unmarshal object into Go struct field jsonPatchOp.path of type string" },
        { "a bool as from", """[{"op":"move","from":true,"path":"/a"}]""", "error decoding patch: json: cannot unmarshal bool into Go struct field jsonPatchOp.from of type string" },
    };

    [Theory]
    [MemberData(nameof(RfcExamples))]
    [MemberData(nameof(UpstreamBehaviour))]
    public void Applies(string name, string document, string patch, string expected)
    {
        var result = JsonPatch.Apply(Parse(document), Utf8(patch));

        JsonEqual(expected, result, name);
    }

    [Theory]
    [MemberData(nameof(NotApplicable))]
    public void Refuses_what_cannot_be_applied_with_upstreams_generic_422(string name, string document, string patch)
    {
        var e = Fails(() => JsonPatch.Apply(Parse(document), Utf8(patch)));

        Assert.True(422 == (int)e.Code, $"{name}: expected 422, got {(int)e.Code} {e.Message}");
        Assert.Equal("Invalid", e.Reason);
        Assert.Equal("the server rejected our request due to an error in our request", e.Message);
        Assert.NotNull(e.InnerException);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Refuses_a_body_that_is_not_a_list_of_operations_with_400(string name, string patch, string message)
    {
        var e = Fails(() => JsonPatch.Apply(Parse("""{"a":1}"""), Utf8(patch)));

        Assert.True(HttpStatusCode.BadRequest == e.Code, $"{name}: expected 400, got {(int)e.Code} {e.Message}");
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_test_says_which_path_in_the_cause()
    {
        var e = Fails(() => JsonPatch.Apply(Parse("""{"metadata":{"resourceVersion":"7"}}"""), Utf8("""[{"op":"test","path":"/metadata/resourceVersion","value":"6"}]""")));

        Assert.Equal("testing value /metadata/resourceVersion failed: test failed", e.InnerException!.Message);
    }

    [Fact]
    public void More_than_ten_thousand_operations_are_too_large()
    {
        var patch = "[" + string.Join(",", Enumerable.Repeat("""{"op":"test","path":"/a","value":1}""", JsonPatch.MaxOperations + 1)) + "]";

        var e = Fails(() => JsonPatch.Apply(Parse("""{"a":1}"""), Utf8(patch)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, e.Code);
        Assert.Equal("The allowed maximum operations in a JSON patch is 10000, got 10001", e.Message);
    }

    [Fact]
    public void Ten_thousand_operations_are_allowed()
    {
        var patch = "[" + string.Join(",", Enumerable.Repeat("""{"op":"test","path":"/a","value":1}""", JsonPatch.MaxOperations)) + "]";

        JsonEqual("""{"a":1}""", JsonPatch.Apply(Parse("""{"a":1}"""), Utf8(patch)));
    }

    [Fact]
    public void Copies_beyond_the_copy_budget_are_refused()
    {
        var patch = """[{"op":"copy","from":"/a","path":"/b"},{"op":"copy","from":"/a","path":"/c"}]""";

        var e = Fails(() => JsonPatch.Apply(Parse("""{"a":"0123456789"}"""), Utf8(patch), maxCopyBytes: 20));

        Assert.Equal(422, (int)e.Code);
        Assert.Equal("Unable to complete the copy, the accumulated size increase of copy is 24, exceeding the limit 20", e.InnerException!.Message);
    }

    [Fact]
    public void The_result_can_be_placed_in_another_document()
    {
        var result = JsonPatch.Apply(Parse("""{"a":1}"""), Utf8("""[{"op":"replace","path":"","value":{"b":[1]}}]"""));

        var holder = new System.Text.Json.Nodes.JsonObject { ["object"] = result };
        JsonEqual("""{"object":{"b":[1]}}""", holder);
    }
}
