using System.Text;
using System.Text.Json.Nodes;
using Kubesharp.Api.Defaulting;
using Kubesharp.Api.Patch;
using Kubesharp.Api.Validation;

namespace Kubesharp.Api.Tests.Validation;

/// <summary>
/// Runs validation as the server does: a valid object of the kind, changed by a JSON merge patch, defaulted,
/// then validated. Causes read as <c>field: message</c>, as upstream's Status message lists them.
/// </summary>
internal static class ValidationCase
{
    public static List<string> Create(string group, string kind, string valid, string patch)
    {
        var obj = Build(group, kind, valid, patch);
        return [.. Validator.Validate(group, kind, obj).Select(c => $"{c.Field}: {c.Message}")];
    }

    public static List<string> Update(string group, string kind, string valid, string oldPatch, string newPatch)
    {
        var oldObj = Build(group, kind, valid, oldPatch);
        var newObj = Build(group, kind, valid, newPatch);
        return [.. Validator.ValidateUpdate(group, kind, oldObj, newObj).Select(c => $"{c.Field}: {c.Message}")];
    }

    public static JsonObject Build(string group, string kind, string valid, string patch)
    {
        var obj = JsonMergePatch.Apply(JsonNode.Parse(valid)!, Encoding.UTF8.GetBytes(patch)).AsObject();
        Defaults.Apply(group, kind, obj);
        return obj;
    }

    /// <summary>Exact causes, in order, with a message that names both lists when they differ.</summary>
    public static void Expect(string why, string[] expected, List<string> actual) =>
        Assert.True(expected.SequenceEqual(actual), $"{why}:\nexpected [{string.Join(" | ", expected)}]\n     got [{string.Join(" | ", actual)}]");
}
