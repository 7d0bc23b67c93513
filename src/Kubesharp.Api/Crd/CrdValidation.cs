using System.Text.Json.Nodes;

namespace Kubesharp.Api.Crd;

/// <summary>
/// Upstream's validation of a <c>CustomResourceDefinition</c> (<c>apiextensions/validation/validation.go</c>) on
/// create and update, on the v1 JSON as stored after defaulting (<see cref="CrdStatus.ApplyDefaults"/>). Like upstream, the
/// per-version schema, subresources and printer columns are reported under <c>spec.validation</c>,
/// <c>spec.subresources</c> and <c>spec.additionalPrinterColumns</c> when every version has the same ones (the
/// internal form upstream validates moves them there). CEL rules are accepted without being compiled; webhook
/// conversion is accepted and served as <c>None</c>. Stateless and thread-safe.
/// </summary>
public static class CrdValidation
{
    public const string ApprovalAnnotation = "api-approved.kubernetes.io";

    private static readonly string[] ColumnTypes = ["boolean", "date", "integer", "number", "string"];
    private static readonly string[] ColumnFormats = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"];

    /// <summary>The errors of a new CRD; empty when valid. Throws <see cref="FormatException"/> for a malformed body.</summary>
    public static List<FieldError> ValidateCreate(JsonObject crd)
    {
        var parsed = CrdObject.Parse(crd);
        var errors = new List<FieldError>();
        var required = parsed.Names.Plural + "." + parsed.Group;
        if (parsed.Name != required && parsed.Name.Length > 0)
        {
            errors.Add(FieldError.Invalid("metadata.name", GoValue.Quote(parsed.Name), "must be spec.names.plural+\".\"+spec.group"));
        }

        Spec(parsed, crd, errors);
        Names(parsed.AcceptedNames, "status.acceptedNames", errors);
        StoredVersions(parsed, errors);
        Approval(parsed, null, errors);
        if (parsed.PreserveUnknownFields)
        {
            errors.Add(FieldError.Invalid("spec.preserveUnknownFields", "true", "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"));
        }

        return errors;
    }

    /// <summary>The errors of an update from <paramref name="old"/> to <paramref name="crd"/>; empty when valid.</summary>
    public static List<FieldError> ValidateUpdate(JsonObject crd, JsonObject old)
    {
        var parsed = CrdObject.Parse(crd);
        var before = CrdObject.Parse(old);
        var errors = new List<FieldError>();
        Spec(parsed, crd, errors);
        if (before.IsTrue("Established"))
        {
            Immutable(parsed.Scope, before.Scope, "spec.scope", errors);
            Immutable(parsed.Names.Kind, before.Names.Kind, "spec.names.kind", errors);
        }

        Immutable(parsed.Group, before.Group, "spec.group", errors);
        Immutable(parsed.Names.Plural, before.Names.Plural, "spec.names.plural", errors);
        Names(parsed.AcceptedNames, "status.acceptedNames", errors);
        StoredVersions(parsed, errors);
        Approval(parsed, before, errors);
        if (parsed.PreserveUnknownFields && !before.PreserveUnknownFields)
        {
            errors.Add(FieldError.Invalid("spec.preserveUnknownFields", "true", "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"));
        }

        return errors;
    }

    /// <summary>The errors of a <c>/status</c> update: the accepted names must be well formed.</summary>
    public static List<FieldError> ValidateStatusUpdate(JsonObject crd)
    {
        var errors = new List<FieldError>();
        Names(CrdObject.Parse(crd).AcceptedNames, "status.acceptedNames", errors);
        return errors;
    }

    private static void Immutable(string value, string old, string path, List<FieldError> errors)
    {
        if (value != old)
        {
            errors.Add(FieldError.Invalid(path, GoValue.Quote(value), "field is immutable"));
        }
    }

    private static void Spec(CrdObject crd, JsonObject json, List<FieldError> errors)
    {
        if (crd.Group.Length == 0)
        {
            errors.Add(FieldError.Required("spec.group"));
        }
        else if (CrdNameRules.Dns1123Subdomain(crd.Group) is { Count: > 0 } problems)
        {
            errors.Add(FieldError.Invalid("spec.group", GoValue.Quote(crd.Group), string.Join(",", problems)));
        }
        else if (!crd.Group.Contains('.', StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid("spec.group", GoValue.Quote(crd.Group), "should be a domain with at least one dot"));
        }

        if (crd.Scope.Length == 0)
        {
            errors.Add(FieldError.Required("spec.scope"));
        }
        else if (crd.Scope is not ("Cluster" or "Namespaced"))
        {
            errors.Add(FieldError.NotSupported("spec.scope", GoValue.Quote(crd.Scope), ["Cluster", "Namespaced"]));
        }

        var versions = crd.Versions;
        // Upstream validates the internal form, where what every version shares has moved to the top level.
        var sharedSchema = versions.Count > 0 && versions.All(v => JsonNode.DeepEquals(v.Schema, versions[0].Schema));
        var sharedSubresources = versions.Count > 0 && versions.All(v => JsonNode.DeepEquals(v.Subresources, versions[0].Subresources));
        var sharedColumns = versions.Count > 0 && versions.All(v => v.Columns.SequenceEqual(versions[0].Columns));
        var anyStatus = versions.Any(v => v.Status);
        if (!sharedSchema || versions[0].Schema is null)
        {
            for (var i = 0; i < versions.Count; i++)
            {
                if (versions[i].Schema is null)
                {
                    errors.Add(FieldError.Required($"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required"));
                }
            }
        }

        var schemas = versions.Select(v => v.Schema is null ? null : CrdSchema.Parse(v.Schema)).ToList();
        if (crd.PreserveUnknownFields && schemas.Any(s => s is not null && CrdSchemaRules.HasDefaults(s)))
        {
            errors.Add(FieldError.Invalid("spec.preserveUnknownFields", "true", "must be false in order to use defaults in the schema"));
        }

        var storage = 0;
        var unique = new HashSet<string>(StringComparer.Ordinal);
        var allUnique = true;
        for (var i = 0; i < versions.Count; i++)
        {
            var v = versions[i];
            var path = $"spec.versions[{i}]";
            storage += v.Storage ? 1 : 0;
            allUnique &= unique.Add(v.Name);
            if (CrdNameRules.Dns1035Label(v.Name) is { Count: > 0 } problems)
            {
                errors.Add(FieldError.Invalid(path + ".name", GoValue.Quote(v.Name), string.Join(",", problems)));
            }

            if (!v.Deprecated && v.DeprecationWarning is not null)
            {
                errors.Add(FieldError.Invalid(path + ".deprecationWarning", GoValue.Quote(v.DeprecationWarning), "can only be set for deprecated versions"));
            }
            else if (v.DeprecationWarning is { } warning)
            {
                if (warning.Length > 256)
                {
                    errors.Add(FieldError.Invalid(path + ".deprecationWarning", GoValue.Quote(warning), "must be <= 256 characters long"));
                }

                if (warning.Length == 0)
                {
                    errors.Add(FieldError.Invalid(path + ".deprecationWarning", GoValue.Quote(warning), "must not be an empty string"));
                }
            }

            if (!sharedSchema && v.Schema is not null)
            {
                CrdSchemaRules.Validate(v.Schema, v.Status, path + ".schema", errors);
            }

            if (!sharedSubresources)
            {
                Subresources(v.Scale, path + ".subresources", errors);
            }

            if (!sharedColumns)
            {
                for (var j = 0; j < v.Columns.Count; j++)
                {
                    Column(v.Columns[j], $"{path}.additionalPrinterColumns[{j}]", errors);
                }
            }

            if (v.SelectableFields.Count > 0)
            {
                SelectableFields(v, schemas[i], path + ".selectableFields", errors);
            }
        }

        if (!allUnique)
        {
            errors.Add(FieldError.Invalid("spec.versions", VersionsValue(versions), "must contain unique version names"));
        }

        if (storage != 1)
        {
            errors.Add(FieldError.Invalid("spec.versions", VersionsValue(versions), "must have exactly one version marked as storage version"));
        }

        if (crd.Names.Plural.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.plural"));
        }

        if (crd.Names.Singular.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.singular"));
        }

        if (crd.Names.Kind.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.kind"));
        }

        if (crd.Names.ListKind.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.listKind"));
        }

        Names(crd.Names, "spec.names", errors);
        if (sharedSchema && versions[0].Schema is { } schema)
        {
            CrdSchemaRules.Validate(schema, anyStatus, "spec.validation", errors);
        }

        if (sharedSubresources && versions.Count > 0)
        {
            Subresources(versions[0].Scale, "spec.subresources", errors);
        }

        if (sharedColumns && versions.Count > 0)
        {
            for (var j = 0; j < versions[0].Columns.Count; j++)
            {
                Column(versions[0].Columns[j], $"spec.additionalPrinterColumns[{j}]", errors);
            }
        }

        Conversion(json["spec"]?["conversion"] as JsonObject, errors);
    }

    // Go's %#v of the internal versions slice, in short: the fields people read in this message.
    private static string VersionsValue(IReadOnlyList<CrdVersion> versions) =>
        "[]apiextensions.CustomResourceDefinitionVersion{" + string.Join(", ", versions.Select(v =>
            $"apiextensions.CustomResourceDefinitionVersion{{Name:{GoValue.Quote(v.Name)}, Served:{GoValue.OfBool(v.Served)}, Storage:{GoValue.OfBool(v.Storage)}, Deprecated:{GoValue.OfBool(v.Deprecated)}}}")) + "}";

    internal static void Names(CrdNames names, string path, List<FieldError> errors)
    {
        void Label(string value, string field)
        {
            if (value.Length > 0 && CrdNameRules.Dns1035Label(value) is { Count: > 0 } problems)
            {
                errors.Add(FieldError.Invalid($"{path}.{field}", GoValue.Quote(value), string.Join(",", problems)));
            }
        }

        void KindLike(string value, string field)
        {
            if (value.Length > 0 && CrdNameRules.Dns1035Label(value.ToLowerInvariant()) is { Count: > 0 } problems)
            {
                errors.Add(FieldError.Invalid($"{path}.{field}", GoValue.Quote(value), "may have mixed case, but should otherwise match: " + string.Join(",", problems)));
            }
        }

        Label(names.Plural, "plural");
        Label(names.Singular, "singular");
        KindLike(names.Kind, "kind");
        KindLike(names.ListKind, "listKind");
        for (var i = 0; i < names.ShortNames.Count; i++)
        {
            if (CrdNameRules.Dns1035Label(names.ShortNames[i]) is { Count: > 0 } problems)
            {
                errors.Add(FieldError.Invalid($"{path}.shortNames[{i}]", GoValue.Quote(names.ShortNames[i]), string.Join(",", problems)));
            }
        }

        if (names.Kind.Length > 0 && names.Kind == names.ListKind)
        {
            errors.Add(FieldError.Invalid(path + ".listKind", GoValue.Quote(names.ListKind), "kind and listKind may not be the same"));
        }

        for (var i = 0; i < names.Categories.Count; i++)
        {
            if (CrdNameRules.Dns1035Label(names.Categories[i]) is { Count: > 0 } problems)
            {
                errors.Add(FieldError.Invalid($"{path}.categories[{i}]", GoValue.Quote(names.Categories[i]), string.Join(",", problems)));
            }
        }
    }

    private static void Subresources(CrdScale? scale, string path, List<FieldError> errors)
    {
        if (scale is null)
        {
            return;
        }

        if (scale.SpecReplicasPath.Length == 0)
        {
            errors.Add(FieldError.Required(path + ".scale.specReplicasPath"));
        }
        else if (!SimpleJsonPathErrors(scale.SpecReplicasPath, path + ".scale.specReplicasPath", errors) && !scale.SpecReplicasPath.StartsWith(".spec.", StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid(path + ".scale.specReplicasPath", GoValue.Quote(scale.SpecReplicasPath), "should be a json path under .spec"));
        }

        if (scale.StatusReplicasPath.Length == 0)
        {
            errors.Add(FieldError.Required(path + ".scale.statusReplicasPath"));
        }
        else if (!SimpleJsonPathErrors(scale.StatusReplicasPath, path + ".scale.statusReplicasPath", errors) && !scale.StatusReplicasPath.StartsWith(".status.", StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid(path + ".scale.statusReplicasPath", GoValue.Quote(scale.StatusReplicasPath), "should be a json path under .status"));
        }

        if (scale.LabelSelectorPath is { Length: > 0 } selector && !SimpleJsonPathErrors(selector, path + ".scale.labelSelectorPath", errors)
            && !selector.StartsWith(".spec.", StringComparison.Ordinal) && !selector.StartsWith(".status.", StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid(path + ".scale.labelSelectorPath", GoValue.Quote(selector), "should be a json path under either .spec or .status"));
        }
    }

    // Upstream's validateSimpleJSONPath; true when it added an error.
    private static bool SimpleJsonPathErrors(string s, string path, List<FieldError> errors)
    {
        if (s.Length == 0)
        {
            errors.Add(FieldError.Invalid(path, GoValue.Quote(s), "must not be empty"));
            return true;
        }

        if (s[0] != '.')
        {
            errors.Add(FieldError.Invalid(path, GoValue.Quote(s), "must be a simple json path starting with ."));
            return true;
        }

        return false;
    }

    private static void Column(CrdColumn column, string path, List<FieldError> errors)
    {
        if (column.Name.Length == 0)
        {
            errors.Add(FieldError.Required(path + ".name"));
        }

        var typesText = "must be one of " + string.Join(",", ColumnTypes);
        if (column.Type.Length == 0)
        {
            errors.Add(FieldError.Required(path + ".type", typesText));
        }
        else if (!ColumnTypes.Contains(column.Type))
        {
            errors.Add(FieldError.Invalid(path + ".type", GoValue.Quote(column.Type), typesText));
        }

        if (column.Format.Length > 0 && !ColumnFormats.Contains(column.Format))
        {
            errors.Add(FieldError.Invalid(path + ".format", GoValue.Quote(column.Format), "must be one of " + string.Join(",", ColumnFormats)));
        }

        if (column.JsonPath.Length == 0)
        {
            errors.Add(FieldError.Required(path + ".JSONPath"));
        }
        else
        {
            SimpleJsonPathErrors(column.JsonPath, path + ".JSONPath", errors);
        }
    }

    private static void SelectableFields(CrdVersion version, CrdSchema? schema, string path, List<FieldError> errors)
    {
        if (schema is null)
        {
            errors.Add(FieldError.Invalid(path, GoValue.Quote(""), "selectableFields may only be set when version.schema.openAPIV3Schema is not included"));
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < version.SelectableFields.Count; i++)
        {
            var jsonPath = version.SelectableFields[i];
            var fieldPath = $"{path}[{i}].jsonPath";
            if (jsonPath.Length == 0)
            {
                errors.Add(FieldError.Required(fieldPath));
                continue;
            }

            var parts = jsonPath.TrimStart('.').Split('.');
            CrdSchema? target = jsonPath.StartsWith('.') ? schema : null;
            foreach (var part in parts)
            {
                target = target?.Property(part);
            }

            if (target is null)
            {
                errors.Add(FieldError.Invalid(fieldPath, GoValue.Quote(jsonPath), "is an invalid path: does not refer to a valid field"));
                continue;
            }

            if (parts[0] == "metadata")
            {
                errors.Add(FieldError.Invalid(fieldPath, GoValue.Quote(jsonPath), "must not point to fields in metadata"));
            }

            if (target.Type is not ("string" or "boolean" or "integer"))
            {
                errors.Add(FieldError.Invalid(fieldPath, GoValue.Quote(jsonPath), "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed."));
            }

            if (!seen.Add(string.Join(".", parts)))
            {
                errors.Add(FieldError.Duplicate(fieldPath, GoValue.Quote(jsonPath)));
            }
        }

        if (seen.Count > 8)
        {
            errors.Add(FieldError.TooMany(path, seen.Count, 8));
        }
    }

    private static void Conversion(JsonObject? conversion, List<FieldError> errors)
    {
        if (conversion is null)
        {
            return;
        }

        var strategy = conversion["strategy"]?.GetValue<string>() ?? "";
        if (strategy.Length == 0)
        {
            errors.Add(FieldError.Required("spec.conversion.strategy"));
        }
        else if (strategy is not ("None" or "Webhook"))
        {
            errors.Add(FieldError.NotSupported("spec.conversion.strategy", GoValue.Quote(strategy), ["None", "Webhook"]));
        }

        var webhook = conversion["webhook"] as JsonObject;
        if (strategy == "Webhook")
        {
            var client = webhook?["clientConfig"] as JsonObject;
            if (client is null)
            {
                errors.Add(FieldError.Required("spec.conversion.webhookClientConfig", "required when strategy is set to Webhook"));
            }
            else if ((client["url"] is null) == (client["service"] is null))
            {
                errors.Add(FieldError.Required("spec.conversion.webhookClientConfig", "exactly one of url or service is required"));
            }

            if (webhook?["conversionReviewVersions"] is not JsonArray { Count: > 0 } reviews)
            {
                errors.Add(FieldError.Required("spec.conversion.conversionReviewVersions"));
            }
            else if (!reviews.Any(r => r?.GetValue<string>() is "v1" or "v1beta1"))
            {
                errors.Add(FieldError.Invalid("spec.conversion.conversionReviewVersions", GoValue.GoSyntax(reviews), "must include at least one of v1, v1beta1"));
            }
        }
        else if (webhook is not null)
        {
            if (webhook["clientConfig"] is not null)
            {
                errors.Add(FieldError.Forbidden("spec.conversion.webhookClientConfig", "should not be set when strategy is not set to Webhook"));
            }

            if (webhook["conversionReviewVersions"] is JsonArray { Count: > 0 })
            {
                errors.Add(FieldError.Forbidden("spec.conversion.conversionReviewVersions", "should not be set when strategy is not set to Webhook"));
            }
        }
    }

    private static void StoredVersions(CrdObject crd, List<FieldError> errors)
    {
        const string Path = "status.storedVersions";
        if (crd.StoredVersions.Count == 0)
        {
            errors.Add(FieldError.Invalid(Path, "[]string(nil)", "must have at least one stored version"));
            return;
        }

        var remaining = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < crd.StoredVersions.Count; i++)
        {
            remaining[crd.StoredVersions[i]] = i;
        }

        foreach (var v in crd.Versions)
        {
            var stored = remaining.Remove(v.Name);
            if (v.Storage && !stored)
            {
                errors.Add(FieldError.Invalid(Path, Selectors.GoText.StringSliceLiteral(crd.StoredVersions, isNil: false), "must have the storage version " + v.Name));
            }
        }

        foreach (var (version, index) in remaining.OrderBy(p => p.Value))
        {
            errors.Add(FieldError.Invalid($"{Path}[{index}]", GoValue.Quote(version), "must appear in spec.versions"));
        }
    }

    private static void Approval(CrdObject crd, CrdObject? old, List<FieldError> errors)
    {
        var g = crd.Group;
        if (!(g is "k8s.io" or "kubernetes.io" || g.EndsWith(".k8s.io", StringComparison.Ordinal) || g.EndsWith(".kubernetes.io", StringComparison.Ordinal)))
        {
            return;
        }

        var (state, reason) = ApprovalState(crd.Annotations);
        if (old is not null && ApprovalState(old.Annotations).State == state)
        {
            return;
        }

        var field = $"metadata.annotations[{ApprovalAnnotation}]";
        switch (state)
        {
            case "missing":
                errors.Add(FieldError.Required(field, reason));
                break;
            case "invalid":
                errors.Add(FieldError.Invalid(field, GoValue.Quote(crd.Annotations.GetValueOrDefault(ApprovalAnnotation, "")), reason));
                break;
        }
    }

    private static (string State, string Reason) ApprovalState(IReadOnlyDictionary<string, string> annotations)
    {
        var value = annotations.GetValueOrDefault(ApprovalAnnotation, "");
        if (value.Length == 0)
        {
            return ("missing", $"protected groups must have approval annotation \"{ApprovalAnnotation}\", see https://github.com/kubernetes/enhancements/pull/1111");
        }

        if (value.StartsWith("unapproved", StringComparison.Ordinal))
        {
            return ("bypassed", "");
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            ? ("approved", "")
            : ("invalid", $"protected groups must have approval annotation \"{ApprovalAnnotation}\" with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111");
    }
}
