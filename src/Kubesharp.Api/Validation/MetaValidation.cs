using System.Text;
using System.Text.Json.Nodes;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's <c>ValidateObjectMeta</c> (<c>apimachinery/pkg/api/validation/objectmeta.go</c> with core's
/// finalizer rule) and the label, annotation and label selector rules of <c>meta/v1/validation</c>, on JSON.
/// </summary>
internal static class MetaValidation
{
    /// <summary>Upstream's annotation size limit (keys and values together): 256 KiB.</summary>
    public const int TotalAnnotationSizeLimit = 256 * 1024;

    private static readonly HashSet<string> StandardFinalizers = new(StringComparer.Ordinal) { "kubernetes", "orphan", "foregroundDeletion" };

    public static void ObjectMeta(string group, string kind, JsonObject obj, Causes causes)
    {
        var meta = Json.Obj(obj, "metadata");
        var generateName = Json.S(meta, "generateName");
        if (generateName.Length != 0)
        {
            causes.InvalidEach("metadata.generateName", generateName, Names.ForKind(group, kind, generateName, prefix: true));
        }

        var name = Json.S(meta, "name");
        if (name.Length == 0)
        {
            causes.Required("metadata.name", "name or generateName is required");
        }
        else
        {
            causes.InvalidEach("metadata.name", name, Names.ForKind(group, kind, name, prefix: false));
        }

        Labels(Json.StringMap(meta, "labels"), "metadata.labels", causes);
        Annotations(Json.StringMap(meta, "annotations"), "metadata.annotations", causes);
        OwnerReferences(meta, causes);
        Finalizers(Json.Strings(meta, "finalizers"), "metadata.finalizers", causes);
    }

    /// <summary>Upstream's <c>ValidateLabels</c>: each key a qualified name, each value a label value; the path is the map's.</summary>
    public static void Labels(IEnumerable<KeyValuePair<string, string>> labels, string path, Causes causes)
    {
        foreach (var (key, value) in labels)
        {
            causes.InvalidEach(path, key, Formats.QualifiedName(key));
            causes.InvalidEach(path, value, Formats.LabelValue(value));
        }
    }

    /// <summary>Upstream's <c>ValidateAnnotations</c>: keys are qualified names in any case; keys and values at most 256 KiB in all.</summary>
    public static void Annotations(IReadOnlyList<KeyValuePair<string, string>> annotations, string path, Causes causes)
    {
        long total = 0;
        foreach (var (key, value) in annotations)
        {
            causes.InvalidEach(path, key, Formats.QualifiedName(key.ToLowerInvariant()));
            total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }

        if (total > TotalAnnotationSizeLimit)
        {
            causes.TooLong(path, TotalAnnotationSizeLimit);
        }
    }

    /// <summary>Upstream's <c>ValidateLabelName</c>.</summary>
    public static void LabelName(string key, string path, Causes causes) => causes.InvalidEach(path, key, Formats.QualifiedName(key));

    private static void OwnerReferences(JsonObject? meta, Causes causes)
    {
        const string Path = "metadata.ownerReferences";
        string? firstController = null;
        foreach (var (_, reference) in Json.Items(meta, "ownerReferences"))
        {
            var apiVersion = Json.S(reference, "apiVersion");
            var slashes = apiVersion.Count(c => c == '/');
            var version = slashes switch
            {
                0 => apiVersion,
                1 => apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..],
                _ => "",
            };
            if (version.Length == 0)
            {
                causes.Invalid(Path + ".apiVersion", apiVersion, "version must not be empty");
            }

            foreach (var field in new[] { "kind", "name", "uid" })
            {
                var value = Json.S(reference, field);
                if (value.Length == 0)
                {
                    causes.Invalid($"{Path}.{field}", value, "must not be empty");
                }
            }

            if (apiVersion == "v1" && Json.S(reference, "kind") == "Event")
            {
                causes.Invalid(Path, new GoLiteral(OwnerReferenceLiteral(reference)), "/v1, Kind=Event is disallowed from being an owner");
            }

            if (Json.Bool(reference, "controller") == true)
            {
                var current = Json.S(reference, "kind") + "/" + Json.S(reference, "name");
                if (firstController is not null)
                {
                    var all = "[]v1.OwnerReference{" + string.Join(", ", Json.Items(meta, "ownerReferences").Select(r => OwnerReferenceLiteral(r.Item))) + "}";
                    causes.Invalid(Path, new GoLiteral(all), $"Only one reference can have Controller set to true. Found \"true\" in references for {firstController} and {current}");
                }
                else
                {
                    firstController = current;
                }
            }
        }
    }

    private static string OwnerReferenceLiteral(JsonObject r) =>
        $"v1.OwnerReference{{APIVersion:{GoText.Quote(Json.S(r, "apiVersion"))}, Kind:{GoText.Quote(Json.S(r, "kind"))}, Name:{GoText.Quote(Json.S(r, "name"))}, UID:{GoText.Quote(Json.S(r, "uid"))}, Controller:{BoolPointer(Json.Bool(r, "controller"))}, BlockOwnerDeletion:{BoolPointer(Json.Bool(r, "blockOwnerDeletion"))}}}";

    private static string BoolPointer(bool? value) => value is null ? "(*bool)(nil)" : $"(*bool)({(value.Value ? "true" : "false")})";

    /// <summary>Upstream's <c>ValidateFinalizers</c> plus core's standard-name rule for names without a prefix.</summary>
    public static void Finalizers(List<string> finalizers, string path, Causes causes)
    {
        foreach (var finalizer in finalizers)
        {
            causes.InvalidEach(path, finalizer, Formats.QualifiedName(finalizer));
        }

        if (finalizers.Contains("orphan") && finalizers.Contains("foregroundDeletion"))
        {
            causes.Invalid(path, new GoLiteral(GoText.StringSliceLiteral(finalizers, false)), "finalizer orphan and foregroundDeletion cannot be both set");
        }

        for (var i = 0; i < finalizers.Count; i++)
        {
            if (!finalizers[i].Contains('/', StringComparison.Ordinal) && !StandardFinalizers.Contains(finalizers[i]))
            {
                causes.Invalid($"{path}[{i}]", finalizers[i], "name is neither a standard finalizer name nor is it fully qualified");
            }
        }
    }

    /// <summary>Upstream's <c>ValidateLabelSelector</c> with invalid label values refused.</summary>
    public static void LabelSelector(JsonObject? selector, string path, Causes causes)
    {
        if (selector is null)
        {
            return;
        }

        Labels(Json.StringMap(selector, "matchLabels"), path + ".matchLabels", causes);
        foreach (var (i, expression) in Json.Items(selector, "matchExpressions"))
        {
            var at = $"{path}.matchExpressions[{i}]";
            var op = Json.S(expression, "operator");
            var values = Json.Strings(expression, "values");
            switch (op)
            {
                case "In" or "NotIn":
                    if (values.Count == 0)
                    {
                        causes.Required(at + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
                    }

                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0)
                    {
                        causes.Forbidden(at + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                    }

                    break;
                default:
                    causes.Invalid(at + ".operator", op, "not a valid selector operator");
                    break;
            }

            LabelName(Json.S(expression, "key"), at + ".key", causes);
            for (var j = 0; j < values.Count; j++)
            {
                causes.InvalidEach($"{at}.values[{j}]", values[j], Formats.LabelValue(values[j]));
            }
        }
    }

    /// <summary>Go's <c>%#v</c> of a <c>*metav1.LabelSelector</c> as upstream prints it in "field is immutable" and similar messages.</summary>
    public static string SelectorLiteral(JsonObject? selector)
    {
        if (selector is null)
        {
            return "null";
        }

        var text = new StringBuilder("v1.LabelSelector{MatchLabels:");
        if (Json.Obj(selector, "matchLabels") is { } labels)
        {
            text.Append(MapLiteral(Json.StringMap(selector, "matchLabels")));
        }
        else
        {
            text.Append("map[string]string(nil)");
        }

        text.Append(", MatchExpressions:");
        if (Json.Arr(selector, "matchExpressions") is { } expressions)
        {
            text.Append("[]v1.LabelSelectorRequirement{");
            var first = true;
            foreach (var (_, e) in Json.Items(selector, "matchExpressions"))
            {
                text.Append(first ? "" : ", ");
                first = false;
                var values = Json.Strings(e, "values");
                text.Append($"v1.LabelSelectorRequirement{{Key:{GoText.Quote(Json.S(e, "key"))}, Operator:{GoText.Quote(Json.S(e, "operator"))}, Values:{GoText.StringSliceLiteral(values, Json.Arr(e, "values") is null)}}}");
            }

            text.Append('}');
            _ = expressions;
        }
        else
        {
            text.Append("[]v1.LabelSelectorRequirement(nil)");
        }

        return text.Append('}').ToString();
    }

    /// <summary>Go's <c>%#v</c> of a <c>map[string]string</c>: keys sorted, as fmt sorts them.</summary>
    public static string MapLiteral(IEnumerable<KeyValuePair<string, string>> map) =>
        "map[string]string{" + string.Join(", ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{GoText.Quote(p.Key)}:{GoText.Quote(p.Value)}")) + "}";
}
