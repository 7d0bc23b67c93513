using static Kubesharp.Api.Patch.StrategicMergeErrors;

namespace Kubesharp.Api.Patch;

/// <summary>The directive keys of a strategic merge patch (<c>strategicpatch/patch.go</c>).</summary>
internal static class StrategicMergeDirectives
{
    internal const string DirectiveMarker = "$patch";
    internal const string RetainKeysDirective = "$retainKeys";
    internal const string SetElementOrderPrefix = "$setElementOrder";
    internal const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";

    /// <summary>The list a <c>$setElementOrder/</c> or <c>$deleteFromPrimitiveList/</c> key names.</summary>
    internal static string ListKey(string key, string prefix)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !key.AsSpan(0, slash).SequenceEqual(prefix))
        {
            throw prefix == DeleteFromPrimitiveListPrefix ? BadPrimitiveList() : BadSetElementOrder();
        }

        return key[(slash + 1)..];
    }

    /// <summary>A key that no Go struct field has: the apiserver's decode into the kind's struct drops it.</summary>
    internal static bool IsDirectiveKey(string key) =>
        key is DirectiveMarker or RetainKeysDirective
        || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal)
        || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal);
}
