using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Patch;

/// <summary>
/// RFC 6902 JSON Patch (<c>application/json-patch+json</c>), applied as the Kubernetes v1.32 apiserver applies
/// it (evanphx/json-patch v4 behind <c>handlers/patch.go</c>).
/// </summary>
/// <remarks>
/// <para>Contract of <see cref="Apply"/>:</para>
/// <list type="bullet">
/// <item>It takes ownership of <c>target</c>: the document is changed in place and the result may be the same
/// node, or a new one when an operation replaces the whole document. After a failure <c>target</c> is in an
/// unspecified state and must be thrown away. Not thread-safe on one target; independent calls are.</item>
/// <item>Operations run in order and stop at the first that fails; nothing is retried. Every failure is a
/// <see cref="StatusException"/> that a retry of the same request would meet again:
/// 400 BadRequest when the body is not a JSON array of operation objects ("error decoding patch: ..."),
/// 413 when it holds more than <see cref="MaxOperations"/> operations, and upstream's generic 422 Invalid
/// (<see cref="StatusException.UnprocessablePatch"/>) when an operation cannot be applied: a <c>test</c> that
/// fails, a path or <c>from</c> that does not exist, an index out of range, an unknown <c>op</c>, copies
/// beyond the copy budget.</item>
/// <item>Upstream's departures from the RFC are kept, because clients see them: <c>replace</c> of a missing
/// object member adds it; negative array indices count from the end; <c>test</c> treats a missing member as
/// <c>null</c>; <c>copy</c> from a missing member copies <c>null</c>; a missing <c>value</c> means <c>null</c>;
/// <c>add</c> and <c>remove</c> on the whole document (path <c>""</c>) fail while <c>replace</c> of it by a
/// scalar or null does nothing; and only the last segment of a
/// path that does not start with <c>/</c> is used. Strings in <c>test</c> are compared by value and numbers
/// by their text (so <c>1</c> is not <c>1.0</c>).</item>
/// </list>
/// </remarks>
public static class JsonPatch
{
    /// <summary>Upstream's <c>maxJSONPatchOperations</c>.</summary>
    public const int MaxOperations = 10000;

    /// <summary>Upstream's default <c>JSONPatchMaxCopyBytes</c>: how much all <c>copy</c> operations of one patch may add.</summary>
    public const long DefaultMaxCopyBytes = 3 * 1024 * 1024;

    /// <summary>Applies the JSON patch in <paramref name="patch"/> (UTF-8) to <paramref name="target"/> and returns the patched document.</summary>
    /// <exception cref="StatusException">400, 413 or 422 as described on the type.</exception>
    public static JsonNode Apply(JsonNode target, ReadOnlySpan<byte> patch, long maxCopyBytes = DefaultMaxCopyBytes)
    {
        ArgumentNullException.ThrowIfNull(target);
        var operations = Decode(patch);
        if (operations.Count > MaxOperations)
        {
            throw StatusException.TooLarge($"The allowed maximum operations in a JSON patch is {MaxOperations}, got {operations.Count}");
        }

        return new JsonPatchApplier(target, maxCopyBytes).Run(operations);
    }

    // The apiserver first decodes the body strictly into []jsonPatchOp{op, path, from string; value any}
    // (fieldValidation defaults to Warn), so shape errors are 400 with Go's decoder messages.
    private static List<JsonObject?> Decode(ReadOnlySpan<byte> patch)
    {
        if (!PatchJson.TryParse(patch, out var node, out var error))
        {
            throw StatusException.BadRequest($"error decoding patch: {error}");
        }

        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw DecodeError($"json: cannot unmarshal {PatchJson.JsonTypeWord(node)} into Go value of type []handlers.jsonPatchOp");
        }

        var operations = new List<JsonObject?>(array.Count);
        foreach (var item in array)
        {
            if (item is not null and not JsonObject)
            {
                throw DecodeError($"json: cannot unmarshal {PatchJson.JsonTypeWord(item)} into Go value of type handlers.jsonPatchOp");
            }

            if (item is JsonObject operation)
            {
                foreach (var (name, value) in operation)
                {
                    if (name is "op" or "path" or "from" && value is not null && PatchJson.Kind(value) != GoKind.String)
                    {
                        throw DecodeError($"json: cannot unmarshal {PatchJson.JsonTypeWord(value)} into Go struct field jsonPatchOp.{name} of type string");
                    }
                }
            }

            operations.Add((JsonObject?)item);
        }

        return operations;
    }

    private static StatusException DecodeError(string message) => StatusException.BadRequest($"error decoding patch: {message}");
}
