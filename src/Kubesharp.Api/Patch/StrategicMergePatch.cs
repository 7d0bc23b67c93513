using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Patch;

/// <summary>
/// Strategic merge patch (<c>application/strategic-merge-patch+json</c>), applied as the Kubernetes v1.32
/// apiserver applies it (<c>strategicpatch.StrategicMergeMapPatch</c> behind <c>handlers/patch.go</c>): a JSON
/// merge patch whose lists merge item by item where the kind's <see cref="PatchSchema"/> gives a merge key,
/// plus the directives <c>$patch: replace|delete|merge</c>, <c>$setElementOrder/&lt;list&gt;</c>,
/// <c>$deleteFromPrimitiveList/&lt;list&gt;</c> and <c>$retainKeys</c>.
/// </summary>
/// <remarks>
/// <para>Contract of <see cref="Apply"/>:</para>
/// <list type="bullet">
/// <item>It takes ownership of <c>target</c>, which must be a JSON object: the document is changed in place and
/// the result may be the same node, or a new one when the patch replaces or deletes the whole object. After a
/// failure <c>target</c> must be thrown away. Not thread-safe on one target; independent calls are.</item>
/// <item>With a null schema (a kind without metadata) it degrades to what upstream does on fields without tags:
/// objects merge, lists are replaced, directives still work.</item>
/// <item>Failures are <see cref="StatusException"/>s with upstream's codes and messages, none worth retrying:
/// 400 BadRequest when the body is not a JSON object or a directive is malformed (<c>$retainKeys</c>,
/// <c>$setElementOrder</c> or <c>$deleteFromPrimitiveList</c> in a wrong shape, a patch key missing from
/// <c>$retainKeys</c>); 422 for a list of lists; and, for everything else that upstream reports as a plain Go
/// error (a merge list item without its merge key, <c>$patch: merge</c> in a list, an unknown <c>$patch</c>,
/// a <c>$setElementOrder</c> that contradicts the patch list), 500 with an empty reason
/// (<see cref="StatusException.Unclassified"/>).</item>
/// <item>Upstream decodes the patched map into the kind's Go struct, which drops <c>null</c> members and any
/// directive left inside values that the patch supplies whole (a new list item, a replaced list, a map under
/// <c>$patch: replace</c>). Without Go structs, this class strips those from such values itself, so the result
/// holds neither directives nor <c>null</c> members that came from the patch.</item>
/// </list>
/// </remarks>
public static class StrategicMergePatch
{
    /// <summary>
    /// Applies the strategic merge patch in <paramref name="patch"/> (UTF-8) to <paramref name="target"/> with the
    /// metadata of <paramref name="schema"/>, and returns the patched object.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not a JSON object.</exception>
    /// <exception cref="StatusException">400, 422 or 500 as described on the type.</exception>
    public static JsonNode Apply(JsonNode target, ReadOnlySpan<byte> patch, PatchSchema? schema)
    {
        if (target is not JsonObject original)
        {
            throw new ArgumentException("a strategic merge patch applies to a JSON object", nameof(target));
        }

        if (!PatchJson.TryParse(patch, out var node, out var error))
        {
            throw StatusException.BadRequest(error);
        }

        return node switch
        {
            JsonObject patchObject => new StrategicMerger().Apply(original, patchObject, schema?.Root),

            // Decoding null into the patch map leaves it nil, and merging a nil patch changes nothing.
            null => original,
            _ => throw StatusException.BadRequest($"json: cannot unmarshal {PatchJson.JsonTypeWord(node)} into Go value of type map[string]interface {{}}"),
        };
    }
}
