using System.Text.Json;

namespace Kubesharp.ApiServer.Cache;

/// <summary>
/// One object as the watch cache holds it: the bytes clients see (the stored JSON with
/// <c>metadata.resourceVersion</c> spliced in, built once when the write is seen), and, on first use,
/// the labels and field values that selectors read, so that a selector never parses the object again.
/// Immutable once built; shared by lists, watch events and every watcher.
/// </summary>
internal sealed class CachedObject(string key, byte[] json, long modRevision)
{
    private Selectable? _selectable;

    /// <summary>The storage key.</summary>
    public string Key { get; } = key;

    /// <summary>The object as clients see it, resourceVersion included.</summary>
    public byte[] Json { get; } = json;

    public long ModRevision { get; } = modRevision;

    /// <summary>Labels and the kind's selectable fields, parsed once (thread-safe; a race parses twice, harmlessly).</summary>
    public Selectable GetSelectable(IReadOnlyList<string> fieldSelectors)
    {
        if (_selectable is { } known)
        {
            return known;
        }

        var built = Selectable.Parse(Json, fieldSelectors);
        return Interlocked.CompareExchange(ref _selectable, built, null) ?? built;
    }
}

/// <summary>What label and field selectors read from one object.</summary>
internal sealed class Selectable
{
    private static readonly Dictionary<string, string> NoLabels = new(StringComparer.Ordinal);

    private Selectable(Dictionary<string, string> labels, Dictionary<string, string?> fields)
    {
        Labels = labels;
        Fields = fields;
    }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>Field label to value, for metadata.name, metadata.namespace and the kind's selectable fields.</summary>
    public IReadOnlyDictionary<string, string?> Fields { get; }

    public static Selectable Parse(byte[] json, IReadOnlyList<string> fieldSelectors)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var labels = NoLabels;
        if (root.TryGetProperty("metadata"u8, out var meta) && meta.ValueKind == JsonValueKind.Object
            && meta.TryGetProperty("labels"u8, out var l) && l.ValueKind == JsonValueKind.Object)
        {
            labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in l.EnumerateObject())
            {
                labels[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
        }

        var fields = new Dictionary<string, string?>(fieldSelectors.Count + 2, StringComparer.Ordinal)
        {
            ["metadata.name"] = Rest.ObjectFieldValues.Read(root, "metadata.name"),
            ["metadata.namespace"] = Rest.ObjectFieldValues.Read(root, "metadata.namespace"),
        };
        foreach (var field in fieldSelectors)
        {
            fields[field] = Rest.ObjectFieldValues.Read(root, field);
        }

        return new Selectable(labels, fields);
    }
}
