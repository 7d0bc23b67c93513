using System.Text.Json.Nodes;
using Kubesharp.Api.Validation;

namespace Kubesharp.Api.Tests.Validation;

public sealed class ValidatorTests
{
    public static TheoryData<string, string, string, string, string[]> Cases => new()
    {
        { "valid pod", "", "Pod", """{"spec":{"containers":[{"name":"a","image":"x"}]}}""", [] },
        { "no containers", "", "Pod", """{"spec":{"containers":[]}}""", ["spec.containers: Required value"] },
        { "no spec", "", "Pod", """{}""", ["spec.containers: Required value"] },
        { "nameless imageless container", "", "Pod", """{"spec":{"containers":[{}]}}""", ["spec.containers[0].name: Required value", "spec.containers[0].image: Required value"] },
        { "duplicate container", "", "Pod", """{"spec":{"containers":[{"name":"a","image":"x"},{"name":"a","image":"y"}]}}""", ["spec.containers[1].name: Duplicate value: \"a\""] },
        { "bad container name", "", "Pod", """{"spec":{"containers":[{"name":"A_b","image":"x"}]}}""", ["spec.containers[0].name: Invalid value: \"A_b\": a lowercase RFC 1123 label"] },
        { "container port out of range", "", "Pod", """{"spec":{"containers":[{"name":"a","image":"x","ports":[{"containerPort":70000}]}]}}""", ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"] },
        { "service port zero", "", "Service", """{"spec":{"ports":[{"port":0}]}}""", ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"] },
        { "deployment without selector", "apps", "Deployment", """{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}}""", ["spec.selector: Required value"] },
        {
            "deployment selector not matching", "apps", "Deployment",
            """{"spec":{"selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"b"}},"spec":{"containers":[{"name":"a","image":"x"}]}}}}""",
            ["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`"]
        },
        {
            "valid deployment", "apps", "Deployment",
            """{"spec":{"selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"a","x":"y"}},"spec":{"containers":[{"name":"a","image":"x"}]}}}}""",
            []
        },
        { "job template without containers", "batch", "Job", """{"spec":{"template":{"spec":{}}}}""", ["spec.template.spec.containers: Required value"] },
        { "configmap has no rules here", "", "ConfigMap", """{"data":{"a":"b"}}""", [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Causes_name_the_field_and_say_what_is_wrong(string why, string group, string kind, string json, string[] expected)
    {
        var causes = Validator.Validate(group, kind, JsonNode.Parse(json)!.AsObject());

        var actual = causes.Select(c => $"{c.Field}: {c.Message}").ToList();
        Assert.True(actual.Count == expected.Length, $"{why}: expected [{string.Join(" | ", expected)}], got [{string.Join(" | ", actual)}]");
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.StartsWith(expected[i], actual[i], StringComparison.Ordinal);
        }
    }
}
