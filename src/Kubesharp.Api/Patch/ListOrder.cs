using System.Text.Json.Nodes;
using static Kubesharp.Api.Patch.StrategicMergeDirectives;
using static Kubesharp.Api.Patch.StrategicMergeErrors;

namespace Kubesharp.Api.Patch;

/// <summary>
/// How a strategic merge patch orders a merged list (upstream's normalizeElementOrder and helpers): items
/// named by the patch (or by <c>$setElementOrder</c>) in the patch's order, server-only items in their live
/// order, interleaved by walking both and taking a server-only item first only while it sorts before the next
/// patch item in the live list. So an item that the live list lacks goes before the server-only items that
/// follow it: a new container lands first when the patch has no <c>$setElementOrder</c>.
/// </summary>
internal static class ListOrder
{
    // sort.SliceStable sorts runs of up to 20 items by insertion sort; below that size, and whenever every
    // item has a position, insertion sort gives exactly Go's order.
    private const int GoInsertionSortBlock = 20;

    internal static List<JsonNode?> Normalize(List<JsonNode?> patchItems, List<JsonNode?> serverOnly, List<JsonNode?> patchOrder, List<JsonNode?> serverOrder, string mergeKey, GoKind kind)
    {
        var sortedPatch = SortBy(patchItems, patchOrder, mergeKey, kind);
        var sortedServer = SortBy(serverOnly, serverOrder, mergeKey, kind);
        return Interleave(sortedServer, sortedPatch, serverOrder, mergeKey, kind);
    }

    internal static (List<JsonNode?> InList, List<JsonNode?> Others) PartitionScalars(List<JsonNode?> items, List<JsonNode?> list)
    {
        var inList = new List<JsonNode?>(items.Count);
        var others = new List<JsonNode?>(items.Count);
        foreach (var item in items)
        {
            (list.Any(l => PatchJson.ScalarEquals(l, item)) ? inList : others).Add(item);
        }

        return (inList, others);
    }

    internal static (List<JsonNode?> InList, List<JsonNode?> Others) PartitionMaps(List<JsonNode?> items, List<JsonNode?> list, string mergeKey)
    {
        var inList = new List<JsonNode?>(items.Count);
        var others = new List<JsonNode?>(items.Count);
        foreach (var item in items)
        {
            if (item is not JsonObject map)
            {
                throw BadArgType(MapType, item);
            }

            if (!map.TryGetPropertyValue(mergeKey, out var keyValue))
            {
                throw NoMergeKey(map, mergeKey);
            }

            (FindByKey(list, mergeKey, keyValue) >= 0 ? inList : others).Add(item);
        }

        return (inList, others);
    }

    /// <summary>The first map in <paramref name="list"/> whose <paramref name="mergeKey"/> equals <paramref name="value"/>, or -1.</summary>
    internal static int FindByKey(List<JsonNode?> list, string mergeKey, JsonNode? value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject map)
            {
                throw Other($"value for key {i} is not a map");
            }

            if (map.TryGetPropertyValue(mergeKey, out var candidate) && PatchJson.ScalarEquals(candidate, value))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Upstream's sliceElementType: the one Go kind of every item of the lists.</summary>
    internal static GoKind ItemKind(params List<JsonNode?>[] lists)
    {
        GoKind? kind = null;
        foreach (var item in lists.SelectMany(l => l))
        {
            var itemKind = PatchJson.Kind(item);
            if (kind is null)
            {
                kind = itemKind == GoKind.Array ? throw NoListOfLists() : itemKind;
            }
            else if (kind != itemKind)
            {
                throw Other($"list element types are not identical: {GoFormat.Lists(lists)}");
            }
        }

        return kind ?? throw Other("no elements in any of the given slices");
    }

    /// <summary>Go's deduplicateScalars, which fills each duplicate's slot with the last item.</summary>
    internal static List<JsonNode?> Deduplicate(List<JsonNode?> items)
    {
        var last = items.Count - 1;
        for (var i = 0; i < last; i++)
        {
            for (var j = i + 1; j <= last; j++)
            {
                if (PatchJson.ScalarEquals(items[i], items[j]))
                {
                    items[j] = items[last];
                    items.RemoveAt(last);
                    last--;
                    j--;
                }
            }
        }

        return items;
    }

    /// <summary>Splits out the maps that carry <c>$patch: delete</c>, which sort after all others.</summary>
    internal static (List<JsonNode?> Kept, List<JsonNode?> Deletions) SplitDeletions(List<JsonNode?> items)
    {
        var kept = new List<JsonNode?>(items.Count);
        var deletions = new List<JsonNode?>();
        foreach (var item in items)
        {
            if (item is not JsonObject map)
            {
                throw BadArgType(MapType, item);
            }

            var isDeletion = map.TryGetPropertyValue(DirectiveMarker, out var directive) && PatchJson.Kind(directive) == GoKind.String && directive!.GetValue<string>() == "delete";
            (isDeletion ? deletions : kept).Add(item);
        }

        return (kept, deletions);
    }

    internal static bool MergeKeyEquals(JsonNode? left, JsonNode? right, string mergeKey)
    {
        if (mergeKey.Length == 0)
        {
            return PatchJson.ScalarEquals(left, right);
        }

        if (left is not JsonObject l)
        {
            throw BadArgType(MapType, left);
        }

        if (right is not JsonObject r)
        {
            throw BadArgType(MapType, right);
        }

        if (!l.TryGetPropertyValue(mergeKey, out var leftKey))
        {
            throw NoMergeKey(l, mergeKey);
        }

        if (!r.TryGetPropertyValue(mergeKey, out var rightKey))
        {
            throw NoMergeKey(r, mergeKey);
        }

        return PatchJson.ScalarEquals(leftKey, rightKey);
    }

    // normalizeSliceOrder: sorts items by their position in `order`; an item without one sorts before
    // anything, exactly as Go's insertion sort treats such a "less".
    private static List<JsonNode?> SortBy(List<JsonNode?> items, List<JsonNode?> order, string mergeKey, GoKind kind)
    {
        var deletions = new List<JsonNode?>();
        if (kind == GoKind.Object)
        {
            RequireMergeKeys(items, mergeKey);
            RequireMergeKeys(order, mergeKey);
            (items, deletions) = SplitDeletions(items);
        }

        var positions = items.Select(item => IndexOf(order, item, mergeKey, kind)).ToArray();
        var sorted = items.ToArray();
        if (sorted.Length > GoInsertionSortBlock && positions.All(p => p >= 0))
        {
            sorted = [.. sorted.Zip(positions).OrderBy(p => p.Second).Select(p => p.First)];
        }
        else
        {
            for (var i = 1; i < sorted.Length; i++)
            {
                for (var j = i; j > 0 && Less(positions[j], positions[j - 1]); j--)
                {
                    (sorted[j], sorted[j - 1]) = (sorted[j - 1], sorted[j]);
                    (positions[j], positions[j - 1]) = (positions[j - 1], positions[j]);
                }
            }
        }

        return [.. sorted, .. deletions];

        static bool Less(int a, int b) => a < 0 || b < 0 || a < b;
    }

    // mergeSortedSlice: takes the server-only item first only when both it and the next patch item are in
    // the live list and it comes earlier there.
    private static List<JsonNode?> Interleave(List<JsonNode?> serverOnly, List<JsonNode?> patchItems, List<JsonNode?> serverOrder, string mergeKey, GoKind kind)
    {
        var result = new List<JsonNode?>(serverOnly.Count + patchItems.Count);
        int s = 0, p = 0;
        while (s < serverOnly.Count || p < patchItems.Count)
        {
            if (p >= patchItems.Count)
            {
                result.Add(serverOnly[s++]);
            }
            else if (s >= serverOnly.Count)
            {
                result.Add(patchItems[p++]);
            }
            else
            {
                var serverAt = IndexOf(serverOrder, serverOnly[s], mergeKey, kind);
                var patchAt = IndexOf(serverOrder, patchItems[p], mergeKey, kind);
                result.Add(serverAt >= 0 && patchAt >= 0 && serverAt < patchAt ? serverOnly[s++] : patchItems[p++]);
            }
        }

        return result;
    }

    // Go's index(): the first item whose merge key value (or whose value, for scalars) equals the item's.
    private static int IndexOf(List<JsonNode?> list, JsonNode? item, string mergeKey, GoKind kind)
    {
        var value = KeyOf(item, mergeKey, kind);
        for (var i = 0; i < list.Count; i++)
        {
            if (PatchJson.ScalarEquals(value, KeyOf(list[i], mergeKey, kind)))
            {
                return i;
            }
        }

        return -1;
    }

    private static JsonNode? KeyOf(JsonNode? item, string mergeKey, GoKind kind) =>
        kind != GoKind.Object ? item : item is JsonObject map && map.TryGetPropertyValue(mergeKey, out var key) ? key : null;

    private static void RequireMergeKeys(List<JsonNode?> items, string mergeKey)
    {
        foreach (var item in items)
        {
            if (item is not JsonObject map)
            {
                throw BadArgType(MapType, item);
            }

            if (!map.ContainsKey(mergeKey))
            {
                throw NoMergeKey(map, mergeKey);
            }
        }
    }
}
