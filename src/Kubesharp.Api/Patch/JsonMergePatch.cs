using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Patch;

/// <summary>
/// RFC 7386 JSON Merge Patch (<c>application/merge-patch+json</c>), as the Kubernetes v1.32 apiserver applies
/// it (evanphx/json-patch v4 <c>MergePatch</c> behind <c>handlers/patch.go</c>): objects merge member by member,
/// a <c>null</c> member deletes, anything else (lists included) replaces.
/// </summary>
/// <remarks>
/// <para>Contract of <see cref="Apply"/>:</para>
/// <list type="bullet">
/// <item>It takes ownership of <c>target</c>: the document is changed in place and the result may be the same
/// node. After a failure <c>target</c> must be thrown away. Not thread-safe on one target.</item>
/// <item>The patch must be a JSON object, as the apiserver requires; anything else is 400 BadRequest
/// ("error decoding patch: ..." for a non-object, "Invalid JSON Patch" for <c>null</c>). Nothing else fails.</item>
/// <item>Upstream's one departure from the RFC is kept: <c>null</c> members are also removed from objects
/// inside a list that a patch sets (the RFC keeps them), except where the list replaces an object.</item>
/// </list>
/// </remarks>
public static class JsonMergePatch
{
    /// <summary>Applies the merge patch in <paramref name="patch"/> (UTF-8) to <paramref name="target"/> and returns the patched document.</summary>
    /// <exception cref="StatusException">400 when the patch is not a JSON object.</exception>
    public static JsonNode Apply(JsonNode target, ReadOnlySpan<byte> patch)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!PatchJson.TryParse(patch, out var node, out var error))
        {
            throw StatusException.BadRequest($"error decoding patch: {error}");
        }

        return node switch
        {
            JsonObject obj => Merge(target, obj)!,

            // json.Unmarshal of null into a map succeeds, and MergePatch then refuses the nil patch.
            null => throw StatusException.BadRequest("Invalid JSON Patch"),
            _ => throw StatusException.BadRequest($"error decoding patch: json: cannot unmarshal {PatchJson.JsonTypeWord(node)} into Go value of type map[string]interface {{}}"),
        };
    }

    /// <summary>
    /// RFC 7386 <c>MergePatch(target, patch)</c> for any target and patch, with upstream's null pruning. Both
    /// arguments are consumed; the result may be either of them.
    /// </summary>
    internal static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return PruneNulls(patch);
        }

        if (target is not JsonObject targetObject)
        {
            return PruneNulls(patchObject);
        }

        MergeObjects(targetObject, patchObject);
        return targetObject;
    }

    private static void MergeObjects(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in PatchJson.TakeMembers(patch))
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (!target.TryGetPropertyValue(name, out var current) || current is null)
            {
                target[name] = PruneNulls(value);
            }
            else if (current is JsonObject currentObject)
            {
                if (value is JsonObject valueObject)
                {
                    MergeObjects(currentObject, valueObject);
                }
                else
                {
                    // v4 replaces an object by a non-object patch value without pruning it.
                    target[name] = value;
                }
            }
            else
            {
                target[name] = PruneNulls(value);
            }
        }
    }

    // v4's pruneNulls: drops null members of every object, also inside lists; null list items stay.
    private static JsonNode? PruneNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (value is null)
                    {
                        obj.Remove(name);
                    }
                    else
                    {
                        PruneNulls(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    PruneNulls(item);
                }

                break;
        }

        return node;
    }
}
