using System.Text;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Tests.Patch;

/// <summary>JSON helpers for the patch tests: parse, compare by structure, read a path, catch the Status error.</summary>
internal static class PatchAssert
{
    public static JsonNode Parse(string json) => JsonNode.Parse(json)!;

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>Structural equality: member order is free, list order is not.</summary>
    public static void JsonEqual(string expected, JsonNode? actual, string? because = null)
    {
        var wanted = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(wanted, actual), $"{because}\nexpected {wanted?.ToJsonString() ?? "null"}\n     got {actual?.ToJsonString() ?? "null"}");
    }

    /// <summary>The node at a JSON pointer (no escapes), such as <c>/spec/template/spec/containers</c>.</summary>
    public static JsonNode? At(JsonNode document, string pointer)
    {
        var node = document;
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonArray array ? array[int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture)] : node?[segment];
        }

        return node;
    }

    public static StatusException Fails(Action apply)
    {
        var e = Assert.Throws<StatusException>(apply);
        Assert.NotNull(e.Message);
        return e;
    }
}
