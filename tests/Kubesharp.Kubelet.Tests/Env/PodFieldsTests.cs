using k8s.Models;
using Kubesharp.Kubelet.Env;

namespace Kubesharp.Kubelet.Tests.Env;

public sealed class PodFieldsTests
{
    [Fact]
    public void Labels_and_annotations_are_formatted_sorted_and_go_quoted()
    {
        var map = new Dictionary<string, string> { ["b"] = "two \"quoted\"", ["a"] = "line\nbreak\ttab\\", ["c"] = "é\u0001" };
        Assert.Equal("a=\"line\\nbreak\\ttab\\\\\"\nb=\"two \\\"quoted\\\"\"\nc=\"é\\x01\"", PodFields.FormatMap(map));
        Assert.Equal("", PodFields.FormatMap(new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData("metadata.labels['app']", "web")]
    [InlineData("metadata.labels['missing']", "")]
    [InlineData("metadata.annotations['example.com/x']", "y")]
    [InlineData("metadata.name", "p")]
    [InlineData("metadata.uid", "u-1")]
    public void Volume_field_paths(string path, string expected)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "ns", Uid = "u-1", Labels = new Dictionary<string, string> { ["app"] = "web" }, Annotations = new Dictionary<string, string> { ["example.com/x"] = "y" } },
        };
        Assert.Equal(expected, PodFields.ExtractFieldPathAsString(pod, path));
    }

    [Theory]
    [InlineData("spec.nodeName", "unsupported fieldPath: spec.nodeName")]
    [InlineData("metadata.name['x']", "fieldPath \"metadata.name['x']\" does not support subscript")]
    public void Volume_field_path_errors(string path, string message)
    {
        var e = Assert.Throws<DownwardApiException>(() => PodFields.ExtractFieldPathAsString(new V1Pod { Metadata = new V1ObjectMeta() }, path));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void An_invalid_subscript_is_reported()
    {
        var e = Assert.Throws<DownwardApiException>(() => PodFields.ExtractFieldPathAsString(new V1Pod { Metadata = new V1ObjectMeta() }, "metadata.labels['bad key']"));
        Assert.StartsWith("invalid key subscript in metadata.labels['bad key']: ", e.Message);
    }
}
