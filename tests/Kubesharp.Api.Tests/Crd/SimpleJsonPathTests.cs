using System.Text.Json;
using Kubesharp.Api.Crd;

namespace Kubesharp.Api.Tests.Crd;

public sealed class SimpleJsonPathTests
{
    private const string Object = """
        {"metadata":{"name":"w","labels":{"app.kubernetes.io/name":"web"},"creationTimestamp":"2025-06-01T11:55:00Z"},
         "spec":{"replicas":3,"ratio":1.5,"whole":2.0,"on":true,"tags":["a","b","c"],"nested":{"b":1,"a":[1,2]}},
         "status":{"conditions":[{"type":"Progressing","status":"True"},{"type":"Ready","status":"False","since":5}]}}
        """;

    public static TheoryData<string, string[]> Paths => new()
    {
        { ".spec.replicas", ["3"] },
        { "{.spec.replicas}", ["3"] },
        { ".spec.ratio", ["1.5"] },
        { ".spec.whole", ["2"] },
        { ".spec.on", ["true"] },
        { ".spec.missing", [] },
        { ".spec.replicas.deeper", [] },
        { ".spec.tags[1]", ["b"] },
        { ".spec.tags[-1]", ["c"] },
        { ".spec.tags[0:2]", ["a", "b"] },
        { ".spec.tags[*]", ["a", "b", "c"] },
        { ".spec.tags[7]", [] },
        { ".spec.nested", ["{\"a\":[1,2],\"b\":1}"] },
        { ".status.conditions[?(@.type==\"Ready\")].status", ["False"] },
        { ".status.conditions[?(@.type!='Ready')].type", ["Progressing"] },
        { ".status.conditions[?(@.since>4)].type", ["Ready"] },
        { ".status.conditions[?(@.since)].type", ["Ready"] },
        { ".metadata.labels.app\\.kubernetes\\.io/name", ["web"] },
        { ".metadata.labels['app.kubernetes.io/name']", ["web"] },
        { "..type", ["Progressing", "Ready"] },
        { ".metadata.name", ["w"] },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Paths_reach_what_kubectl_jsonpath_reaches(string path, string[] expected)
    {
        using var doc = JsonDocument.Parse(Object);

        var values = SimpleJsonPath.Parse(path).Evaluate(doc.RootElement).Select(SimpleJsonPath.Print);

        Assert.Equal(expected, values);
    }

    [Theory]
    [InlineData(".spec[")]
    [InlineData(".a[?(@.x=~\"y\")]")]
    [InlineData(".a..")]
    public void Malformed_paths_are_refused(string path)
    {
        Assert.False(SimpleJsonPath.TryParse(path, out _));
        Assert.Throws<FormatException>(() => SimpleJsonPath.Parse(path));
    }
}
