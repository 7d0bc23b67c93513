using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Patch;

/// <summary>
/// Runs decoded JSON patch operations against one document with evanphx/json-patch v4 semantics (see
/// <see cref="JsonPatch"/> for the departures from RFC 6902 it keeps). Every failure is upstream's generic
/// 422; the message given to it is kept for logs only. One instance per patch; not thread-safe.
/// </summary>
internal sealed class JsonPatchApplier(JsonNode root, long maxCopyBytes)
{
    private JsonNode _root = root;
    private long _copiedBytes;

    public JsonNode Run(IReadOnlyList<JsonObject?> operations)
    {
        foreach (var operation in operations)
        {
            var kind = StringMember(operation, "op") ?? "unknown";
            switch (kind)
            {
                case "add":
                    Add(operation!);
                    break;
                case "remove":
                    Remove(operation!);
                    break;
                case "replace":
                    Replace(operation!);
                    break;
                case "move":
                    Move(operation!);
                    break;
                case "test":
                    Test(operation!);
                    break;
                case "copy":
                    Copy(operation!);
                    break;
                default:
                    throw Fail($"Unexpected kind: {kind}");
            }
        }

        return _root;
    }

    private void Add(JsonObject operation)
    {
        var path = Path(operation, "add");
        var container = FindContainer(path, out var key) ?? throw Fail($"add operation does not apply: doc is missing path: \"{path}\"");
        Insert(container, key, Value(operation, out _), path, "add");
    }

    private void Remove(JsonObject operation)
    {
        var path = Path(operation, "remove");
        var container = FindContainer(path, out var key) ?? throw Fail($"remove operation does not apply: doc is missing path: \"{path}\"");
        Delete(container, key, path, "remove");
    }

    private void Replace(JsonObject operation)
    {
        var path = Path(operation, "replace");
        var value = PatchJson.Detach(Value(operation, out var hasValue));
        if (path.Length == 0)
        {
            // v4 means to refuse a scalar or null here but wraps a nil error, so the operation succeeds and
            // does nothing. Without a value at all it crashes; that is refused.
            _root = value is JsonObject or JsonArray ? value : hasValue ? _root : throw Fail("replace operation value must be object or array");
            return;
        }

        var container = FindContainer(path, out var key) ?? throw Fail($"replace operation does not apply: doc is missing path: {path}");

        // v4 only checks that the key can be read; an absent object member reads as nil without an error,
        // so replace adds it.
        var index = ReadIndex(container, key, path, "replace");
        if (container is JsonArray array)
        {
            array[index] = value;
        }
        else
        {
            container.AsObject()[key] = value;
        }
    }

    private void Move(JsonObject operation)
    {
        var from = From(operation, "move");
        var source = FindContainer(from, out var sourceKey) ?? throw Fail($"move operation does not apply: doc is missing from path: {from}");
        var value = Get(source, sourceKey, from, "move");
        Delete(source, sourceKey, from, "move");
        PatchJson.Detach(value);
        var path = Path(operation, "move");
        var destination = FindContainer(path, out var key) ?? throw Fail($"move operation does not apply: doc is missing destination path: {path}");
        Insert(destination, key, value, path, "move");
    }

    private void Copy(JsonObject operation)
    {
        var from = From(operation, "copy");
        var source = FindContainer(from, out var sourceKey) ?? throw Fail($"copy operation does not apply: doc is missing from path: {from}");
        var value = Get(source, sourceKey, from, "copy");
        var path = Path(operation, "copy");
        var destination = FindContainer(path, out var key) ?? throw Fail($"copy operation does not apply: doc is missing destination path: {path}");
        var copy = value?.DeepClone();
        if (copy is not null)
        {
            _copiedBytes += Encoding.UTF8.GetByteCount(copy.ToJsonString());
            if (maxCopyBytes > 0 && _copiedBytes > maxCopyBytes)
            {
                throw Fail($"Unable to complete the copy, the accumulated size increase of copy is {_copiedBytes}, exceeding the limit {maxCopyBytes}");
            }
        }

        Insert(destination, key, copy, path, "copy");
    }

    private void Test(JsonObject operation)
    {
        var path = Path(operation, "test");
        var expected = Value(operation, out var hasValue);
        JsonNode? actual;
        if (path.Length == 0)
        {
            actual = _root;
        }
        else
        {
            var container = FindContainer(path, out var key) ?? throw Fail($"test operation does not apply: is missing path: {path}");
            actual = Get(container, key, path, "test");
        }

        // A missing member and a null one are the same to v4, and both match a null value.
        var matches = actual is null ? hasValue && expected is null : hasValue && JsonEquals(actual, expected);
        if (!matches)
        {
            throw Fail($"testing value {path} failed: test failed");
        }
    }

    // The container that the last segment of the path addresses, walking every segment but the first and
    // the last: upstream never looks at what precedes the first '/', and "" has no container at all.
    private JsonNode? FindContainer(string path, out string key)
    {
        var segments = path.Split('/');
        key = "";
        if (segments.Length < 2)
        {
            return null;
        }

        var current = _root;
        for (var i = 1; i < segments.Length - 1; i++)
        {
            var segment = DecodeSegment(segments[i]);
            JsonNode? next = null;
            if (current is JsonObject obj)
            {
                obj.TryGetPropertyValue(segment, out next);
            }
            else if (current is JsonArray array && TryIndex(segment, array.Count, out var index))
            {
                next = array[index];
            }

            if (next is not (JsonObject or JsonArray))
            {
                return null;
            }

            current = next;
        }

        key = DecodeSegment(segments[^1]);
        return current;
    }

    private static JsonNode? Get(JsonNode container, string key, string path, string verb)
    {
        if (container is JsonObject obj)
        {
            return obj.TryGetPropertyValue(key, out var value) ? value : null;
        }

        return container.AsArray()[ReadIndex(container, key, path, verb)];
    }

    private static int ReadIndex(JsonNode container, string key, string path, string verb)
    {
        if (container is not JsonArray array)
        {
            return -1;
        }

        if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
        {
            throw Fail($"error in {verb} for path: '{path}': strconv.Atoi: parsing \"{key}\": invalid syntax");
        }

        return TryIndex(key, array.Count, out index) ? index : throw Fail($"error in {verb} for path: '{path}': Unable to access invalid index: {index}: invalid index referenced");
    }

    private static void Insert(JsonNode container, string key, JsonNode? value, string path, string verb)
    {
        PatchJson.Detach(value);
        if (container is JsonObject obj)
        {
            obj[key] = value;
            return;
        }

        var array = container.AsArray();
        if (key == "-")
        {
            array.Add(value);
            return;
        }

        if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
        {
            throw Fail($"error in {verb} for path: '{path}': value was not a proper array index: '{key}'");
        }

        // One slot more than the array has: inserting at Count appends, and -1 means that slot too.
        var slots = array.Count + 1;
        if (index >= slots || index < -slots)
        {
            throw Fail($"error in {verb} for path: '{path}': Unable to access invalid index: {index}: invalid index referenced");
        }

        array.Insert(index < 0 ? index + slots : index, value);
    }

    private static void Delete(JsonNode container, string key, string path, string verb)
    {
        if (container is JsonObject obj)
        {
            if (!obj.Remove(key))
            {
                throw Fail($"error in {verb} for path: '{path}': Unable to remove nonexistent key: {key}: missing value");
            }

            return;
        }

        container.AsArray().RemoveAt(ReadIndex(container, key, path, verb));
    }

    // strconv.Atoi, then v4's negative indices: -1 is the last item.
    private static bool TryIndex(string segment, int count, out int index)
    {
        if (!int.TryParse(segment, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out index))
        {
            return false;
        }

        if (index < 0 && index >= -count)
        {
            index += count;
        }

        return index >= 0 && index < count;
    }

    // RFC 6901: "~1" is '/', then "~0" is '~'; any other '~' stays as it is, as v4 leaves it.
    private static string DecodeSegment(string segment)
    {
        if (!segment.Contains('~', StringComparison.Ordinal))
        {
            return segment;
        }

        var decoded = new StringBuilder(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '~' && i + 1 < segment.Length && segment[i + 1] is '0' or '1')
            {
                decoded.Append(segment[i + 1] == '1' ? '/' : '~');
                i++;
            }
            else
            {
                decoded.Append(segment[i]);
            }
        }

        return decoded.ToString();
    }

    private static string Path(JsonObject operation, string verb) =>
        StringMember(operation, "path") ?? throw Fail($"{verb} operation failed to decode path: operation missing path field: missing value");

    private static string From(JsonObject operation, string verb) =>
        StringMember(operation, "from") ?? throw Fail($"{verb} operation failed to decode from: operation, missing from field: missing value");

    private static JsonNode? Value(JsonObject operation, out bool present)
    {
        present = operation.TryGetPropertyValue("value", out var value);
        return value;
    }

    private static string? StringMember(JsonObject? operation, string name) =>
        operation is not null && operation.TryGetPropertyValue(name, out var value) && PatchJson.Kind(value) == GoKind.String ? value!.GetValue<string>() : null;

    // v4's lazyNode.equal: objects by members, lists item by item, scalars by their JSON text. Strings are
    // compared by value here, so that two spellings of one string (escapes) are the same.
    private static bool JsonEquals(JsonNode? a, JsonNode? b)
    {
        switch (a, b)
        {
            case (null, null):
                return true;
            case (JsonObject x, JsonObject y):
                return x.Count == y.Count && x.All(p => y.TryGetPropertyValue(p.Key, out var other) && JsonEquals(p.Value, other));
            case (JsonArray x, JsonArray y):
                return x.Count == y.Count && x.Select((item, i) => JsonEquals(item, y[i])).All(equal => equal);
            case (JsonValue x, JsonValue y):
                if (PatchJson.Kind(x) == GoKind.String)
                {
                    return PatchJson.Kind(y) == GoKind.String && x.GetValue<string>() == y.GetValue<string>();
                }

                return PatchJson.Kind(y) != GoKind.String && x.ToJsonString() == y.ToJsonString();
            default:
                return false;
        }
    }

    private static StatusException Fail(string cause) => StatusException.UnprocessablePatch(cause);
}
