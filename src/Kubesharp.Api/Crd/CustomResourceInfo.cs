using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Printing;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Crd;

/// <summary>
/// What the server needs to serve one version of a custom resource, derived from its CRD: the schema (for
/// validation, pruning and defaulting, and, as <see cref="OpenApiV3Schema"/>, for publishing), the status and
/// scale subresources, the printer columns, and whether the CRD is being deleted. Built once per CRD revision;
/// immutable and thread-safe. It rides on the version's <see cref="ResourceInfo"/> row as
/// <see cref="ResourceInfo.Custom"/>.
/// </summary>
public sealed class CustomResourceInfo
{
    /// <summary>Upstream's discovery verbs of a custom resource, in its order.</summary>
    public static readonly IReadOnlyList<string> Verbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];

    /// <summary>The verbs discovery shows while the CRD is terminating.</summary>
    public static readonly IReadOnlyList<string> TerminatingVerbs = ["delete", "deletecollection", "get", "list", "watch"];

    private static readonly PrinterColumn AgeColumn = new("Age", "date", "", "Time since the object was created (metadata.creationTimestamp).", 0);

    private readonly List<(string Type, SimpleJsonPath? Path)> _cells;

    private CustomResourceInfo(CrdObject crd, CrdVersion version)
    {
        CrdName = crd.Name;
        CrdUid = crd.Uid;
        Group = crd.Group;
        Version = version.Name;
        Kind = crd.AcceptedNames.Kind;
        ListKind = crd.AcceptedNames.ListKind;
        Plural = crd.AcceptedNames.Plural;
        StorageVersion = crd.StorageVersion?.Name ?? version.Name;
        MultipleVersions = crd.Versions.Count > 1;
        Terminating = crd.IsTrue(CrdStatus.Terminating) || crd.Deleting;
        OpenApiV3Schema = version.Schema;
        Schema = version.Schema is null ? null : CrdSchema.Parse(version.Schema);
        StatusSchema = Schema?.Property("status");
        var storage = crd.StorageVersion;
        StorageSchema = storage is null || storage.Name == version.Name ? Schema : storage.Schema is null ? null : CrdSchema.Parse(storage.Schema);
        HasStatus = version.Status;
        Scale = version.Scale;
        var columns = new List<PrinterColumn> { Col.Name };
        var cells = new List<(string, SimpleJsonPath?)>();
        var definitions = version.Columns.Count > 0 ? version.Columns : [new CrdColumn(AgeColumn.Name, "date", "", AgeColumn.Description, 0, ".metadata.creationTimestamp")];
        foreach (var c in definitions)
        {
            var description = c.Description.Length > 0 ? c.Description : $"Custom resource definition column (in JSONPath format): {c.JsonPath}";
            columns.Add(new PrinterColumn(c.Name, c.Type, c.Format, description, c.Priority));
            cells.Add((c.Type, SimpleJsonPath.TryParse(c.JsonPath, out var path) ? path : null));
        }

        Columns = columns;
        _cells = cells;
    }

    public string CrdName { get; }

    public string CrdUid { get; }

    public string Group { get; }

    public string Version { get; }

    public string Kind { get; }

    public string ListKind { get; }

    public string Plural { get; }

    /// <summary>The version objects are stored in (conversion strategy None: only apiVersion changes).</summary>
    public string StorageVersion { get; }

    /// <summary>True when the CRD has more than one version, so apiVersion may need rewriting on reads and writes.</summary>
    public bool MultipleVersions { get; }

    /// <summary>True while the CRD is being deleted: creates are refused, discovery shows fewer verbs.</summary>
    public bool Terminating { get; }

    /// <summary>The version's <c>openAPIV3Schema</c> as the CRD states it, for OpenAPI publishing. Do not mutate it.</summary>
    public JsonObject? OpenApiV3Schema { get; }

    /// <summary>The version's schema, read; null when the CRD has none.</summary>
    public CrdSchema? Schema { get; }

    /// <summary><c>properties.status</c> of the schema: what the status subresource's validator checks.</summary>
    public CrdSchema? StatusSchema { get; }

    /// <summary>The storage version's schema: objects written in another version are pruned by it on their way to storage.</summary>
    public CrdSchema? StorageSchema { get; }

    public bool HasStatus { get; }

    public CrdScale? Scale { get; }

    /// <summary>The Table columns: Name, then the additional printer columns (Age when there are none).</summary>
    public IReadOnlyList<PrinterColumn> Columns { get; }

    public string GroupVersion => $"{Group}/{Version}";

    /// <summary>
    /// The rows a CRD serves: one per served version, under its accepted names, sorted as discovery lists them
    /// (versions by upstream's version priority). Empty unless the names are accepted or the CRD is established.
    /// </summary>
    public static IReadOnlyList<ResourceInfo> Rows(CrdObject crd)
    {
        if (!crd.IsTrue(CrdStatus.NamesAccepted) && !crd.IsTrue(CrdStatus.Established))
        {
            return [];
        }

        var names = crd.AcceptedNames;
        if (names.Plural.Length == 0 || names.Kind.Length == 0)
        {
            return [];
        }

        var rows = new List<ResourceInfo>();
        foreach (var version in crd.Versions.Where(v => v.Served).OrderBy(v => v.Name, KubeVersionComparer.Instance))
        {
            var info = new CustomResourceInfo(crd, version);
            var subresources = new List<SubresourceInfo>();
            if (version.Status)
            {
                subresources.Add(new SubresourceInfo("status", crd.Group, version.Name, names.Kind, ["get", "patch", "update"]));
            }

            if (version.Scale is not null)
            {
                subresources.Add(new SubresourceInfo("scale", "autoscaling", "v1", "Scale", ["get", "patch", "update"]));
            }

            var scope = crd.Namespaced ? ResourceScope.Namespaced : ResourceScope.Cluster;
            var fields = version.SelectableFields.Select(f => f.TrimStart('.')).ToList();
            rows.Add(new ResourceInfo(crd.Group, version.Name, names.Kind, names.Plural, names.Singular, scope, info.Terminating ? TerminatingVerbs : Verbs,
                names.ShortNames, names.Categories, subresources, fields, version.Status)
            { Custom = info });
        }

        return rows;
    }

    /// <summary>
    /// The verbs this server serves, which may be more than discovery shows: a terminating CRD's objects can
    /// still be updated and patched (their finalizers must be able to go), and a create is refused with
    /// upstream's own message.
    /// </summary>
    public static bool Serves(string verb) => Verbs.Contains(verb, StringComparer.Ordinal);

    /// <summary>One object's cells, one per <see cref="Columns"/> entry: string, long, double, bool or null.</summary>
    public IReadOnlyList<object?> Cells(JsonElement obj, DateTimeOffset now)
    {
        var cells = new object?[_cells.Count + 1];
        cells[0] = obj.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("name", out var name)
            && name.ValueKind == JsonValueKind.String ? name.GetString() : "";
        for (var i = 0; i < _cells.Count; i++)
        {
            var (type, path) = _cells[i];
            cells[i + 1] = path?.First(obj) is { } value ? Cell(type, value, now) : null;
        }

        return cells;
    }

    // Upstream's tableconvertor: strings as the jsonpath printer writes them, other types only from matching JSON.
    private static object? Cell(string type, JsonElement value, DateTimeOffset now)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        switch (type)
        {
            case "string":
                return SimpleJsonPath.Print(value);
            case "integer" when value.ValueKind == JsonValueKind.Number:
                return long.TryParse(value.GetRawText(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : (long)value.GetDouble();
            case "number" when value.ValueKind == JsonValueKind.Number:
                return value.GetDouble();
            case "boolean" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean();
            case "date" when value.ValueKind == JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length == 0 || text == "null")
                {
                    return "<unknown>";
                }

                return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && text.Contains('T', StringComparison.Ordinal)
                    ? DurationFormat.HumanDuration(now - t)
                    : "<invalid>";
            default:
                return null;
        }
    }
}

/// <summary>
/// Upstream's kube-aware version order (<c>version.CompareKubeAwareVersionStrings</c>), highest priority first:
/// GA before beta before alpha, higher numbers first, then versions that do not look like Kubernetes versions in
/// alphabetical order.
/// </summary>
public sealed class KubeVersionComparer : IComparer<string>
{
    public static readonly KubeVersionComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        var a = Parse(x ?? "");
        var b = Parse(y ?? "");
        if (a is null && b is null)
        {
            return string.CompareOrdinal(x, y);
        }

        if (a is null || b is null)
        {
            return a is null ? 1 : -1;
        }

        if (a.Value.Stage != b.Value.Stage)
        {
            return a.Value.Stage.CompareTo(b.Value.Stage);
        }

        if (a.Value.Major != b.Value.Major)
        {
            return b.Value.Major.CompareTo(a.Value.Major);
        }

        return b.Value.Minor.CompareTo(a.Value.Minor);
    }

    // v<major>[(alpha|beta)<minor>]; stage 0 = GA, 1 = beta, 2 = alpha.
    private static (int Stage, long Major, long Minor)? Parse(string v)
    {
        if (v.Length < 2 || v[0] != 'v' || !char.IsAsciiDigit(v[1]))
        {
            return null;
        }

        var i = 1;
        while (i < v.Length && char.IsAsciiDigit(v[i]))
        {
            i++;
        }

        if (!long.TryParse(v.AsSpan(1, i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        {
            return null;
        }

        if (i == v.Length)
        {
            return (0, major, 0);
        }

        var rest = v[i..];
        var stage = rest.StartsWith("beta", StringComparison.Ordinal) ? 1 : rest.StartsWith("alpha", StringComparison.Ordinal) ? 2 : -1;
        var digits = stage switch
        {
            1 => rest[4..],
            2 => rest[5..],
            _ => null,
        };
        return digits is { Length: > 0 } && digits.All(char.IsAsciiDigit) && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            ? (stage, major, minor)
            : null;
    }
}
