using Kubesharp.Api.Patch;
using static Kubesharp.Api.Tests.Patch.PatchAssert;

namespace Kubesharp.Api.Tests.Patch;

/// <summary>
/// Failures, with the codes upstream's <c>interpretStrategicMergePatchError</c> gives them: malformed directives
/// are 400, a list of lists 422, and the plain Go errors 500 with no reason and their text as the message.
/// </summary>
public sealed class StrategicMergePatchErrorTests
{
    private const string Pod = """
        {
          "metadata": {"name": "p", "finalizers": ["example.com/a", "example.com/b"]},
          "spec": {"containers": [{"name": "app", "image": "nginx"}, {"name": "sidecar"}]}
        }
        """;

    // name, patch, status code, message (a prefix when it ends with "...").
    public static TheoryData<string, string, int, string> Cases => new()
    {
        { "a merge list item without its merge key", """{"spec": {"containers": [{"image": "x"}]}}""", 500, "map: map[image:x] does not contain declared merge key: name" },
        { "a deletion without the merge key", """{"spec": {"containers": [{"$patch": "delete"}]}}""", 500, "map: map[$patch:delete] does not contain declared merge key: name" },
        { "$patch: merge in a list", """{"spec": {"containers": [{"name": "app", "$patch": "merge"}]}}""", 500, "merging lists cannot yet be specified in the patch" },
        { "an unknown $patch in a list", """{"spec": {"containers": [{"name": "app", "$patch": "frob"}]}}""", 500, "unknown patch type: frob in map: map[$patch:frob name:app]" },
        { "an unknown $patch on a map", """{"spec": {"$patch": "frob"}}""", 500, "unknown patch type: frob in map: map[$patch:frob]" },
        { "$patch: merge on a map", """{"spec": {"$patch": "merge"}}""", 500, "unknown patch type: merge in map: map[$patch:merge]" },
        { "a number as $patch", """{"spec": {"$patch": 1}}""", 500, "unknown patch type: %!s(int64=1) in map: map[$patch:1]" },
        { "$retainKeys that is not a list", """{"spec": {"$retainKeys": "containers"}}""", 400, "invalid patch format of retainKeys" },
        { "a patch field missing from $retainKeys", """{"spec": {"$retainKeys": ["containers"], "hostname": "h"}}""", 400, "invalid patch format of retainKeys" },
        { "$setElementOrder that contradicts the patch list", """{"spec": {"$setElementOrder/containers": [{"name": "app"}], "containers": [{"name": "log"}]}}""", 500, "The order in patch list:\n[map[name:log]]\n doesn't match $setElementOrder list:\n[map[name:app]]\n" },
        { "$setElementOrder that is not a list", """{"spec": {"$setElementOrder/containers": "app"}}""", 500, "expected a []interface {}, but received a string" },
        { "$setElementOrder over a field that is not a list", """{"metadata": {"$setElementOrder/name": ["p"]}}""", 500, "expected a []interface {}, but received a string" },
        { "$setElementOrder items without the merge key", """{"spec": {"$setElementOrder/containers": [{"image": "x"}]}}""", 500, "map: map[image:x] does not contain declared merge key: name" },
        { "$deleteFromPrimitiveList without a slash", """{"metadata": {"$deleteFromPrimitiveListfinalizers": ["example.com/a"]}}""", 400, "invalid patch format of primitive list" },
        { "$setElementOrder without a slash", """{"metadata": {"$setElementOrderfinalizers": ["example.com/a"]}}""", 400, "invalid patch format of setElementOrder list" },
        { "items of different types in a merge list", """{"metadata": {"finalizers": [{"x": 1}]}}""", 500, "list element types are not identical: [[example.com/a example.com/b] [map[x:1]]]" },
        { "a number and a float in a merge list", """{"metadata": {"finalizers": [1, 1.5]}, "spec": {}}""", 500, "list element types are not identical: [[example.com/a example.com/b] [1 1.5]]" },
        { "a list of lists", """{"spec": {"containers": [["x"]]}}""", 500, "list element types are not identical: ..." },
        { "a patch that is a list", """[{"op": "add"}]""", 400, "json: cannot unmarshal array into Go value of type map[string]interface {}" },
        { "a patch that is a string", "\"x\"", 400, "json: cannot unmarshal string into Go value of type map[string]interface {}" },
        { "a patch that is not JSON", "{", 400, "..." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fails_as_upstream(string name, string patch, int code, string message)
    {
        var e = Fails(() => StrategicMergePatch.Apply(Parse(Pod), Utf8(patch), PatchSchema.ForKind("", "v1", "Pod")));

        Assert.True(code == (int)e.Code, $"{name}: expected {code}, got {(int)e.Code} {e.Message}");
        Assert.Equal(code == 400 ? "BadRequest" : "", e.Reason);
        if (message.EndsWith("...", StringComparison.Ordinal))
        {
            Assert.StartsWith(message[..^3], e.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(message, e.Message);
        }
    }

    [Fact]
    public void A_list_of_lists_is_the_generic_422()
    {
        var e = Fails(() => StrategicMergePatch.Apply(Parse("""{"metadata": {"finalizers": []}}"""), Utf8("""{"metadata": {"finalizers": [["a"]]}}"""), PatchSchema.ObjectMetaOnly));

        Assert.Equal(422, (int)e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.Equal("lists of lists are not supported", e.InnerException!.Message);
    }

    [Fact]
    public void An_error_names_the_item_in_gos_format()
    {
        var patch = """{"spec": {"containers": [{"ports": [{"containerPort": 80}], "resources": {"limits": {"cpu": "1"}}, "ok": true, "ratio": 0.5, "big": 1e21, "none": null}]}}""";

        var e = Fails(() => StrategicMergePatch.Apply(Parse(Pod), Utf8(patch), PatchSchema.ForKind("", "v1", "Pod")));

        Assert.Equal("map: map[big:1e+21 none:<nil> ok:true ports:[map[containerPort:80]] ratio:0.5 resources:map[limits:map[cpu:1]]] does not contain declared merge key: name", e.Message);
    }
}
