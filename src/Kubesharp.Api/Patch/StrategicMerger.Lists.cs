using System.Text.Json.Nodes;
using static Kubesharp.Api.Patch.StrategicMergeDirectives;
using static Kubesharp.Api.Patch.StrategicMergeErrors;

namespace Kubesharp.Api.Patch;

// Lists: upstream's mergeSliceHandler, mergeSlice and mergePatchIntoOriginal ($setElementOrder).
internal sealed partial class StrategicMerger
{
    // "$setElementOrder/<list>": merge the list first, then order it: items the order names in that order,
    // items only the server has kept where they were relative to the others.
    private void MergeOrderedLists(JsonObject original, JsonObject patch, PatchType? type)
    {
        var orderKeys = patch.Select(p => p.Key).Where(k => k.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal)).ToList();
        foreach (var orderKey in orderKeys)
        {
            var orderNode = patch[orderKey];
            patch.Remove(orderKey);
            if (orderNode is not JsonArray orderArray)
            {
                throw BadArgType(ListType, orderNode);
            }

            var order = PatchJson.TakeItems(orderArray);
            var key = ListKey(orderKey, SetElementOrderPrefix);
            var foundOriginal = original.TryGetPropertyValue(key, out var originalNode);
            var foundPatch = patch.TryGetPropertyValue(key, out var patchNode);
            if (foundOriginal && originalNode is not JsonArray)
            {
                throw BadArgType(ListType, originalNode);
            }

            if (foundPatch && patchNode is not JsonArray)
            {
                throw BadArgType(ListType, patchNode);
            }

            var field = type?.Field(key);
            var mergeKey = field?.MergeKey ?? "";
            var originalItems = foundOriginal ? PatchJson.TakeItems(originalNode!.AsArray()) : [];
            var patchItems = foundPatch ? PatchJson.TakeItems(patchNode!.AsArray()) : [];
            ValidateOrder(patchItems, order, mergeKey);

            List<JsonNode?> merged;
            var serverOrder = originalItems;
            if (foundOriginal && foundPatch)
            {
                merged = MergeList(originalItems, patchItems, field, isDeleteList: false, out serverOrder);
            }
            else if (foundPatch)
            {
                merged = patchItems.Where(item => Clean(item, dropDirectiveMaps: true)).ToList();
            }
            else if (foundOriginal)
            {
                merged = originalItems;
            }
            else
            {
                continue;
            }

            var (inOrder, serverOnly) = mergeKey.Length == 0
                ? ListOrder.PartitionScalars(merged, order)
                : ListOrder.PartitionMaps(merged, order, mergeKey);
            var kind = ListOrder.ItemKind(originalItems, patchItems);
            var ordered = ListOrder.Normalize(inOrder, serverOnly, order, serverOrder, mergeKey, kind);
            original[key] = new JsonArray(ordered.ToArray());
            patch.Remove(key);
        }
    }

    /// <summary>
    /// Upstream's mergeSliceHandler: merges two lists that the field's strategy (or a deletion list) says to
    /// merge, or returns the patch list. <paramref name="serverOrder"/> is the live list as a Go caller still
    /// sees it afterwards (see <see cref="MergeMapList"/>).
    /// </summary>
    private List<JsonNode?> MergeList(List<JsonNode?> original, List<JsonNode?> patch, PatchField? field, bool isDeleteList, out List<JsonNode?> serverOrder)
    {
        serverOrder = original;
        if (field?.Strategy != PatchStrategy.Merge && !isDeleteList)
        {
            _suppliedWhole.AddRange(patch.OfType<JsonNode>());
            return patch;
        }

        if (original.Count == 0 && patch.Count == 0)
        {
            return original;
        }

        var kind = ListOrder.ItemKind(original, patch);
        if (kind != GoKind.Object)
        {
            if (isDeleteList)
            {
                return original.Where(item => !patch.Any(d => PatchJson.ScalarEquals(item, d))).ToList();
            }

            var (inPatch, serverOnly) = ListOrder.PartitionScalars(ListOrder.Deduplicate([.. original, .. patch]), patch);
            return ListOrder.Normalize(inPatch, serverOnly, patch, original, "", kind);
        }

        var mergeKey = field?.MergeKey;
        if (string.IsNullOrEmpty(mergeKey))
        {
            throw Other($"cannot merge lists without merge key for {(field is { Type: null, MergeKey: null, Strategy: PatchStrategy.Merge } ? "string" : "struct")}");
        }

        return MergeMapList(original, patch, mergeKey, field?.Type, out serverOrder);
    }

    // Lists of maps merged on a key. Go edits the live slice in place: deletions shift its backing array
    // left and new items are appended into the slots freed, so a caller that kept the original slice header
    // (mergePatchIntoOriginal) sees added items where deleted ones were. That view decides how server-only
    // items interleave with new ones under $setElementOrder, so it is reproduced here as `view`.
    private List<JsonNode?> MergeMapList(List<JsonNode?> original, List<JsonNode?> patch, string mergeKey, PatchType? itemType, out List<JsonNode?> view)
    {
        view = [.. original];
        var live = new List<JsonNode?>(original);
        var aliased = true;
        var plain = new List<JsonNode?>(patch.Count);
        var replace = false;
        foreach (var item in patch)
        {
            var map = item!.AsObject();
            if (!map.TryGetPropertyValue(DirectiveMarker, out var directive))
            {
                plain.Add(item);
                continue;
            }

            switch (DirectiveName(directive))
            {
                case "delete":
                    if (!map.TryGetPropertyValue(mergeKey, out var doomed))
                    {
                        throw NoMergeKey(map, mergeKey);
                    }

                    for (var at = ListOrder.FindByKey(live, mergeKey, doomed); at >= 0; at = ListOrder.FindByKey(live, mergeKey, doomed))
                    {
                        for (var i = at; i < live.Count - 1; i++)
                        {
                            view[i] = live[i + 1];
                        }

                        live.RemoveAt(at);
                    }

                    break;
                case "replace":
                    // The list becomes the patch's other items; the remaining "$patch" items are pruned.
                    replace = true;
                    break;
                case "merge":
                    throw Other("merging lists cannot yet be specified in the patch");
                default:
                    throw BadPatchType(directive, map);
            }
        }

        if (replace)
        {
            live = plain;
            plain = [];
            aliased = false;
            _suppliedWhole.AddRange(live.OfType<JsonNode>());
        }

        // Merging moves the patch items' members into the live items, so ordering works from copies of
        // their merge keys, which is all it reads.
        var patchOrder = plain.Select(item => (JsonNode?)new JsonObject { [mergeKey] = item!.AsObject()[mergeKey]?.DeepClone() }).ToList();
        var serverOrder = new List<JsonNode?>(live);
        foreach (var item in plain)
        {
            var map = item!.AsObject();
            if (!map.TryGetPropertyValue(mergeKey, out var keyValue))
            {
                throw NoMergeKey(map, mergeKey);
            }

            var at = ListOrder.FindByKey(live, mergeKey, keyValue);
            if (at >= 0)
            {
                live[at] = MergeMap(live[at]!.AsObject(), map, itemType);
                if (aliased && at < view.Count)
                {
                    view[at] = live[at];
                }
            }
            else
            {
                if (aliased && live.Count < view.Count)
                {
                    view[live.Count] = map;
                }

                live.Add(map);
                _suppliedWhole.Add(map);
            }
        }

        var (inPatch, serverOnly) = ListOrder.PartitionMaps(live, patchOrder, mergeKey);
        return ListOrder.Normalize(inPatch, serverOnly, patchOrder, serverOrder, mergeKey, GoKind.Object);
    }

    // Upstream's validatePatchWithSetOrderList: the patch's items (deletions and directives aside) must appear
    // in $setElementOrder, in the same relative order.
    private static void ValidateOrder(List<JsonNode?> patch, List<JsonNode?> order, string mergeKey)
    {
        if (order.Count == 0 || patch.Count == 0)
        {
            return;
        }

        var items = mergeKey.Length > 0 ? ListOrder.SplitDeletions(patch).Kept : patch;
        int p = 0, o = 0;
        while (p < items.Count && o < order.Count)
        {
            if (items[p] is JsonObject map && map.ContainsKey(DirectiveMarker))
            {
                p++;
                continue;
            }

            if (ListOrder.MergeKeyEquals(items[p], order[o], mergeKey))
            {
                p++;
            }

            o++;
        }

        if (p < items.Count && o >= order.Count)
        {
            throw Other($"The order in patch list:\n{GoFormat.List(patch)}\n doesn't match {SetElementOrderPrefix} list:\n{GoFormat.List(order)}\n");
        }
    }
}
