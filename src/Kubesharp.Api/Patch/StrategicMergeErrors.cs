using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Patch;

/// <summary>
/// The failures of a strategic merge patch with upstream's texts (<c>util/mergepatch/errors.go</c> and
/// <c>strategicpatch/patch.go</c>) and the codes <c>interpretStrategicMergePatchError</c> gives them: the
/// malformed-directive errors are 400, a list of lists 422, and every other error is a plain Go error that
/// the apiserver answers with 500 and no reason.
/// </summary>
internal static class StrategicMergeErrors
{
    internal const string MapType = "map[string]interface {}";
    internal const string ListType = "[]interface {}";

    internal static StatusException BadPrimitiveList() => StatusException.BadRequest("invalid patch format of primitive list");

    internal static StatusException BadRetainKeys() => StatusException.BadRequest("invalid patch format of retainKeys");

    internal static StatusException BadSetElementOrder() => StatusException.BadRequest("invalid patch format of setElementOrder list");

    internal static StatusException NoListOfLists() => StatusException.UnprocessablePatch("lists of lists are not supported");

    internal static StatusException NoMergeKey(JsonNode? map, string mergeKey) =>
        StatusException.Unclassified($"map: {GoFormat.Value(map)} does not contain declared merge key: {mergeKey}");

    internal static StatusException BadArgType(string expected, JsonNode? actual) =>
        StatusException.Unclassified($"expected a {expected}, but received a {GoFormat.TypeName(actual)}");

    internal static StatusException BadPatchType(JsonNode? directive, JsonNode? map) =>
        StatusException.Unclassified($"unknown patch type: {GoFormat.AsString(directive)} in map: {GoFormat.Value(map)}");

    internal static StatusException Other(string message) => StatusException.Unclassified(message);
}
