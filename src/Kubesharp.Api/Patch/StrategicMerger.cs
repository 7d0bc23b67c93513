using System.Text.Json.Nodes;
using static Kubesharp.Api.Patch.StrategicMergeDirectives;
using static Kubesharp.Api.Patch.StrategicMergeErrors;

namespace Kubesharp.Api.Patch;

/// <summary>
/// One application of a strategic merge patch: upstream's <c>mergeMap</c> with <c>MergeParallelList</c> and
/// <c>IgnoreUnmatchedNulls</c> (the server-side options), over <see cref="JsonObject"/>s that it changes in
/// place. Both the target and the patch are consumed. One instance per patch; not thread-safe.
/// </summary>
internal sealed partial class StrategicMerger
{
    // Values that the patch supplies whole, which upstream leaves as sent until its typed decode drops their
    // nulls and leftover directives. They are cleaned once merging is over, because list ordering still
    // reads their merge keys.
    private readonly List<JsonNode> _suppliedWhole = [];

    public JsonObject Apply(JsonObject target, JsonObject patch, PatchType? type)
    {
        var result = MergeMap(target, patch, type);
        foreach (var node in _suppliedWhole)
        {
            Clean(node, dropDirectiveMaps: false);
        }

        return result;
    }

    private JsonObject MergeMap(JsonObject original, JsonObject patch, PatchType? type)
    {
        if (patch.TryGetPropertyValue(DirectiveMarker, out var directive))
        {
            return MapDirective(directive, patch);
        }

        ApplyRetainKeys(original, patch);
        MergeOrderedLists(original, patch, type);

        foreach (var (patchKey, value) in PatchJson.TakeMembers(patch))
        {
            var key = patchKey;
            var isDeleteList = patchKey.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal);
            if (isDeleteList)
            {
                key = ListKey(patchKey, DeleteFromPrimitiveListPrefix);
            }

            // null deletes; a null for a field the object lacks is dropped (IgnoreUnmatchedNulls). This is
            // also what a null $deleteFromPrimitiveList does: it deletes the whole list.
            if (value is null)
            {
                original.Remove(key);
                continue;
            }

            if (!original.TryGetPropertyValue(key, out var current))
            {
                // A deletion list for a list the object does not have adds nothing.
                if (!isDeleteList)
                {
                    SetFromPatch(original, key, value);
                }

                continue;
            }

            var kind = PatchJson.Kind(current);
            if (kind != PatchJson.Kind(value))
            {
                if (!isDeleteList)
                {
                    SetFromPatch(original, key, value);
                }

                continue;
            }

            var field = type?.Field(key);
            switch (kind)
            {
                case GoKind.Object when field?.Strategy == PatchStrategy.Replace:
                    _suppliedWhole.Add(value);
                    Set(original, key, value);
                    break;
                case GoKind.Object:
                    Set(original, key, MergeMap(current!.AsObject(), value.AsObject(), field?.Type));
                    break;
                case GoKind.Array:
                    var merged = MergeList(PatchJson.TakeItems(current!.AsArray()), PatchJson.TakeItems(value.AsArray()), field, isDeleteList, out _);
                    Set(original, key, new JsonArray(merged.ToArray()));
                    break;
                default:
                    // Two scalars of one Go type: the patch wins, deletion list or not, as upstream.
                    Set(original, key, value);
                    break;
            }
        }

        return original;
    }

    // "$patch" on a map: replace puts the patch, minus the marker, in place of the map; delete leaves an
    // empty map (not an absent field).
    private JsonObject MapDirective(JsonNode? directive, JsonObject patch)
    {
        switch (DirectiveName(directive))
        {
            case "replace":
                patch.Remove(DirectiveMarker);
                _suppliedWhole.Add(patch);
                return patch;
            case "delete":
                return new JsonObject();
            default:
                throw BadPatchType(directive, patch);
        }
    }

    // "$retainKeys": the object keeps only the listed fields, and the patch may set no other field.
    private static void ApplyRetainKeys(JsonObject original, JsonObject patch)
    {
        if (!patch.TryGetPropertyValue(RetainKeysDirective, out var directive))
        {
            return;
        }

        patch.Remove(RetainKeysDirective);
        if (directive is not JsonArray list)
        {
            throw BadRetainKeys();
        }

        var retained = list.Where(k => PatchJson.Kind(k) == GoKind.String).Select(k => k!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in patch)
        {
            var exempt = value is null
                || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal)
                || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal);
            if (!exempt && !retained.Contains(key))
            {
                throw BadRetainKeys();
            }
        }

        foreach (var key in original.Select(p => p.Key).Where(k => !retained.Contains(k)).ToList())
        {
            original.Remove(key);
        }
    }

    // A value the object did not have, or had with another type: taken from the patch without its nulls
    // and without maps that carry a "$patch" (upstream's discardNullValuesFromPatch and removeDirectives).
    private static void SetFromPatch(JsonObject original, string key, JsonNode value)
    {
        if (Clean(value, dropDirectiveMaps: true))
        {
            Set(original, key, value);
        }
        else
        {
            original.Remove(key);
        }
    }

    private static void Set(JsonObject obj, string key, JsonNode? value)
    {
        if (!obj.TryGetPropertyValue(key, out var current) || !ReferenceEquals(current, value))
        {
            obj[key] = value;
        }
    }

    /// <summary>
    /// Drops <c>null</c> members and directive keys throughout <paramref name="node"/>; with
    /// <paramref name="dropDirectiveMaps"/>, a map that carries <c>$patch</c> is dropped whole. Returns false
    /// when <paramref name="node"/> itself is such a map.
    /// </summary>
    private static bool Clean(JsonNode? node, bool dropDirectiveMaps)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (value is null)
                    {
                        obj.Remove(key);
                    }
                }

                if (dropDirectiveMaps && obj.ContainsKey(DirectiveMarker))
                {
                    return false;
                }

                foreach (var (key, value) in obj.ToList())
                {
                    if (IsDirectiveKey(key) || !Clean(value, dropDirectiveMaps))
                    {
                        obj.Remove(key);
                    }
                }

                return true;
            case JsonArray array:
                for (var i = array.Count - 1; i >= 0; i--)
                {
                    if (!Clean(array[i], dropDirectiveMaps))
                    {
                        array.RemoveAt(i);
                    }
                }

                return true;
            default:
                return true;
        }
    }

    private static string? DirectiveName(JsonNode? directive) =>
        PatchJson.Kind(directive) == GoKind.String ? directive!.GetValue<string>() : null;
}
