using System.Text;
using System.Text.Json;
using Kubesharp.ApiServer.Rest;

namespace Kubesharp.ApiServer.Tests.Rest;

public sealed class ObjectJsonTests
{
    [Theory]
    [InlineData("metadata first", """{"metadata":{"name":"a"},"spec":{"template":{"metadata":{"name":"t"}}}}""")]
    [InlineData("metadata last", """{"kind":"ConfigMap","data":{"metadata":"x"},"metadata":{"name":"a","labels":{"x":"y"}}}""")]
    [InlineData("empty metadata", """{"kind":"ConfigMap","metadata":{}}""")]
    [InlineData("no metadata", """{"kind":"ConfigMap"}""")]
    [InlineData("escaped key", """{"meta\u0064ata":{"name":"a"}}""")]
    public void The_resource_version_is_spliced_into_top_level_metadata_only(string why, string stored)
    {
        var bytes = ObjectJson.WithResourceVersion(Encoding.UTF8.GetBytes(stored), 42);

        using var doc = JsonDocument.Parse(bytes);
        Assert.Equal("42", doc.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString());
        Assert.NotEmpty(why);
        // Everything else is as stored.
        var tree = ObjectJson.FromStorage(Encoding.UTF8.GetBytes(stored), 42);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(tree, System.Text.Json.Nodes.JsonNode.Parse(bytes)), Encoding.UTF8.GetString(bytes));
    }
}
