using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Patch;

namespace Kubesharp.Api.Crd;

/// <summary>
/// Upstream's custom resource strategy (<c>registry/customresource</c>) on JSON: what happens to a custom resource
/// between the request body and storage. Decoding defaults, prunes unknown fields and non-nullable nulls, and
/// reduces metadata to ObjectMeta; create drops status when status is a subresource and sets generation 1; an
/// update bumps generation when anything but metadata changed; validation checks kind and apiVersion, the schema
/// (ratcheting errors on values that did not change, as upstream's CRDValidationRatcheting), embedded resources
/// and the scale paths. Stateless and thread-safe.
/// </summary>
public static class CustomResourceStrategy
{
    /// <summary>
    /// The decoding step of a request body (create, update, patch result): defaults, prunes, coerces metadata, in
    /// place. Returns the paths of the unknown fields it dropped (what <c>fieldValidation</c> reports). Throws
    /// <see cref="FormatException"/> for metadata that cannot be read.
    /// </summary>
    public static List<string> Decode(CustomResourceInfo cr, JsonObject obj)
    {
        SchemaDefaulter.Default(obj, cr.Schema);
        var unknown = SchemaPruner.Prune(obj, cr.Schema, isResourceRoot: true);
        SchemaDefaulter.PruneNonNullableNulls(obj, cr.Schema);
        unknown.AddRange(ObjectMetaCoercion.CoerceRoot(obj));
        ObjectMetaCoercion.CoerceEmbedded(obj, cr.Schema);
        unknown.Sort(StringComparer.Ordinal);
        return unknown;
    }

    /// <summary>
    /// Upstream's conversion to the storage version (strategy None) goes through the storage version's schema: an
    /// object written in another version loses the fields that schema does not specify. Works in place.
    /// </summary>
    public static void PruneForStorage(CustomResourceInfo cr, JsonObject obj)
    {
        if (cr.Version != cr.StorageVersion)
        {
            SchemaPruner.Prune(obj, cr.StorageSchema, isResourceRoot: true);
            SchemaDefaulter.PruneNonNullableNulls(obj, cr.StorageSchema);
        }
    }

    /// <summary>Upstream's PrepareForCreate: status is the server's when it is a subresource; generation starts at 1.</summary>
    public static void PrepareForCreate(CustomResourceInfo cr, JsonObject obj)
    {
        if (cr.HasStatus)
        {
            obj.Remove("status");
        }

        Meta(obj)["generation"] = 1;
    }

    /// <summary>
    /// Upstream's PrepareForUpdate after the status rules (applied by the caller): generation moves by one when
    /// anything outside metadata changed.
    /// </summary>
    public static void PrepareForUpdate(JsonObject updated, JsonObject old)
    {
        var oldGeneration = Meta(old)["generation"] is JsonValue g && g.TryGetValue<long>(out var n) ? n : 0;
        var changed = updated.Where(p => p.Key != "metadata").Count() != old.Where(p => p.Key != "metadata").Count()
            || updated.Any(p => p.Key != "metadata" && !JsonNode.DeepEquals(p.Value, old[p.Key]));
        Meta(updated)["generation"] = changed ? oldGeneration + 1 : oldGeneration;
    }

    /// <summary>The errors of a custom resource to be created; empty when valid.</summary>
    public static List<FieldError> ValidateCreate(CustomResourceInfo cr, JsonObject obj)
    {
        if (TypeMeta(cr, obj) is { Count: > 0 } typeErrors)
        {
            return typeErrors;
        }

        var errors = cr.Schema is null ? [] : SchemaValidator.Validate(obj, cr.Schema);
        ScaleSpec(cr, obj, errors);
        ScaleStatus(cr, obj, errors);
        ObjectMetaCoercion.ValidateEmbedded(obj, cr.Schema, "", errors);
        return errors;
    }

    /// <summary>The errors of an update (<paramref name="status"/>: through <c>/status</c>); errors on unchanged values are dropped.</summary>
    public static List<FieldError> ValidateUpdate(CustomResourceInfo cr, JsonObject obj, JsonObject old, bool status)
    {
        if (TypeMeta(cr, obj) is { Count: > 0 } typeErrors)
        {
            return typeErrors;
        }

        List<FieldError> errors;
        if (status)
        {
            errors = obj.TryGetPropertyValue("status", out var s) && cr.StatusSchema is { } statusSchema
                ? SchemaValidator.Validate(s, statusSchema, "status")
                : [];
        }
        else
        {
            errors = cr.Schema is null ? [] : SchemaValidator.Validate(obj, cr.Schema);
            ScaleSpec(cr, obj, errors);
        }

        errors = Ratchet(errors, obj, old);
        ScaleStatus(cr, obj, errors);
        if (!status)
        {
            ObjectMetaCoercion.ValidateEmbedded(obj, cr.Schema, "", errors);
        }

        return errors;
    }

    /// <summary>True when <paramref name="node"/> is a JSON integer (what Go decodes as int64).</summary>
    public static bool TryGetInteger(JsonNode? node, out long value)
    {
        value = 0;
        return PatchJson.Kind(node) == GoKind.Int && long.TryParse(node!.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// Upstream's <c>scaleFromCustomResource</c>: the <c>autoscaling/v1 Scale</c> view of <paramref name="parent"/>;
    /// absent counts read as 0, an absent selector is left out.
    /// </summary>
    public static JsonObject ToScale(JsonObject parent, CrdScale paths)
    {
        var meta = parent["metadata"] as JsonObject ?? [];
        var scaleMeta = new JsonObject();
        foreach (var field in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (meta[field] is { } value)
            {
                scaleMeta[field] = value.DeepClone();
            }
        }

        var status = new JsonObject { ["replicas"] = Count(parent, paths.StatusReplicasPath) };
        if (paths.LabelSelectorPath is { Length: > 0 } selectorPath && At(parent, selectorPath) is JsonValue selector
            && selector.GetValueKind() == JsonValueKind.String && selector.GetValue<string>().Length > 0)
        {
            status["selector"] = selector.GetValue<string>();
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMeta,
            ["spec"] = new JsonObject { ["replicas"] = Count(parent, paths.SpecReplicasPath) },
            ["status"] = status,
        };
    }

    // Go's int32(...) of the count: what Scale's int32 fields hold.
    private static int Count(JsonObject obj, string path) => TryGetInteger(At(obj, path), out var n) ? unchecked((int)n) : 0;

    /// <summary>The value at a scale path such as <c>.spec.replicas</c>, or null when absent.</summary>
    public static JsonNode? At(JsonObject obj, string dottedPath)
    {
        JsonNode? current = obj;
        foreach (var part in dottedPath.TrimStart('.').Split('.'))
        {
            current = current is JsonObject o && o.TryGetPropertyValue(part, out var next) ? next : null;
            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>Sets the value at a scale path, creating the objects on the way.</summary>
    public static void Set(JsonObject obj, string dottedPath, JsonNode value)
    {
        var parts = dottedPath.TrimStart('.').Split('.');
        var current = obj;
        foreach (var part in parts[..^1])
        {
            if (current[part] is not JsonObject next)
            {
                next = new JsonObject();
                current[part] = next;
            }

            current = next;
        }

        current[parts[^1]] = value;
    }

    private static JsonObject Meta(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m)
        {
            return m;
        }

        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    private static List<FieldError> TypeMeta(CustomResourceInfo cr, JsonObject obj)
    {
        var errors = new List<FieldError>();
        var kind = obj["kind"]?.GetValue<string>() ?? "";
        var apiVersion = obj["apiVersion"]?.GetValue<string>() ?? "";
        var expectedKind = cr.Kind;
        if (kind != expectedKind)
        {
            errors.Add(FieldError.Invalid("kind", GoValue.Quote(kind), "must be " + expectedKind));
        }

        if (apiVersion != cr.GroupVersion)
        {
            errors.Add(FieldError.Invalid("apiVersion", GoValue.Quote(apiVersion), "must be " + cr.GroupVersion));
        }

        return errors;
    }

    // unstructured.NestedInt64 and upstream's checks of the replica counts and the selector.
    private static void ScaleSpec(CustomResourceInfo cr, JsonObject obj, List<FieldError> errors)
    {
        if (cr.Scale is { } scale)
        {
            Replicas(obj, scale.SpecReplicasPath, errors);
        }
    }

    private static void ScaleStatus(CustomResourceInfo cr, JsonObject obj, List<FieldError> errors)
    {
        if (cr.Scale is not { } scale)
        {
            return;
        }

        Replicas(obj, scale.StatusReplicasPath, errors);
        if (scale.LabelSelectorPath is { Length: > 0 } selectorPath && At(obj, selectorPath) is { } selector && PatchJson.Kind(selector) != GoKind.String)
        {
            errors.Add(FieldError.Invalid(selectorPath, GoValue.Quote(""), $"{selectorPath} accessor error: {GoFormat.Value(selector)} is of the type {GoFormat.TypeName(selector)}, expected string"));
        }
    }

    private static void Replicas(JsonObject obj, string path, List<FieldError> errors)
    {
        if (At(obj, path) is not { } value)
        {
            return;
        }

        if (PatchJson.Kind(value) != GoKind.Int)
        {
            errors.Add(FieldError.Invalid(path, "0", $"{path} accessor error: {GoFormat.Value(value)} is of the type {GoFormat.TypeName(value)}, expected int64"));
            return;
        }

        var n = long.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
        if (n < 0)
        {
            errors.Add(FieldError.Invalid(path, GoValue.Number(n), "should be a non-negative integer"));
        }
        else if (n > int.MaxValue)
        {
            errors.Add(FieldError.Invalid(path, GoValue.Number(n), $"should be less than or equal to {int.MaxValue}"));
        }
    }

    // Upstream ratchets schema errors on fields whose value is the same as in the old object; a missing required
    // field is unchanged when its parent is.
    private static List<FieldError> Ratchet(List<FieldError> errors, JsonObject obj, JsonObject old)
    {
        return [.. errors.Where(e => !Unchanged(e))];

        bool Unchanged(FieldError e)
        {
            if (e.Field == "<nil>" || e.Field.Length == 0)
            {
                return false;
            }

            var path = e.Field;
            if (e.Type == FieldErrorType.Required)
            {
                var cut = path.LastIndexOf('.');
                if (cut < 0)
                {
                    return JsonNode.DeepEquals(Strip(obj), Strip(old));
                }

                path = path[..cut];
            }

            var (now, foundNow) = Resolve(obj, path);
            var (before, foundBefore) = Resolve(old, path);
            return foundNow && foundBefore && JsonNode.DeepEquals(now, before);
        }

        static JsonObject Strip(JsonObject o) => new([.. o.Where(p => p.Key != "metadata").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))]);
    }

    // Resolves a field path such as spec.items[2].name (upstream's field.Path text, map keys in brackets too).
    private static (JsonNode? Value, bool Found) Resolve(JsonObject root, string path)
    {
        JsonNode? current = root;
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                i++;
            }

            if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0)
                {
                    return (null, false);
                }

                var key = path[(i + 1)..end];
                i = end + 1;
                if (current is JsonArray array && int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    if (index >= array.Count)
                    {
                        return (null, false);
                    }

                    current = array[index];
                }
                else if (current is JsonObject o && o.TryGetPropertyValue(key, out var v))
                {
                    current = v;
                }
                else
                {
                    return (null, false);
                }

                continue;
            }

            var stop = path.IndexOfAny(['.', '['], i);
            var name = stop < 0 ? path[i..] : path[i..stop];
            i = stop < 0 ? path.Length : stop;
            if (current is JsonObject obj && obj.TryGetPropertyValue(name, out var next))
            {
                current = next;
            }
            else
            {
                return (null, false);
            }
        }

        return (current, true);
    }
}
