using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Crd;

/// <summary>
/// The rules upstream puts on a CRD version's <c>openAPIV3Schema</c> (<c>apiextensions/validation</c> and
/// <c>apiserver/schema/validation.go</c>): the root restrictions of the status subresource, structural schema
/// invariants (a type at every level unless preserve-unknown-fields or int-or-string, metadata limited to name
/// and generateName, nothing structural under allOf/anyOf/oneOf/not), valid defaults, and the OpenAPI keywords
/// CRDs do not support. Error paths and messages are upstream's. Stateless and thread-safe.
/// </summary>
internal static class CrdSchemaRules
{
    private static readonly string[] OpenApiTypes = ["array", "boolean", "integer", "number", "object", "string"];

    // Upstream's allowedFieldsAtRootSchema, as JSON keys, and the Go names its message lists.
    private static readonly HashSet<string> AllowedAtRoot = new(StringComparer.Ordinal)
    {
        "description", "type", "format", "title", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength",
        "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "required", "items", "properties", "externalDocs", "example",
        "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations",
    };

    private const string AllowedAtRootText = "[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations]";

    // The JSONSchemaProps fields in Go's declaration order (the order the root check visits them).
    private static readonly string[] GoFieldOrder =
    [
        "id", "$schema", "$ref", "description", "type", "format", "title", "default", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "enum", "maxProperties", "minProperties",
        "required", "items", "allOf", "oneOf", "anyOf", "not", "properties", "additionalProperties", "patternProperties", "dependencies",
        "additionalItems", "definitions", "externalDocs", "example", "nullable", "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string", "x-kubernetes-list-map-keys", "x-kubernetes-list-type",
        "x-kubernetes-map-type", "x-kubernetes-validations",
    ];

    private enum Level
    {
        Root,
        Item,
        Field,
    }

    /// <summary>
    /// Checks one schema found at <paramref name="path"/> (<c>spec.validation</c> when every version shares it,
    /// as upstream reports it, else <c>spec.versions[i].schema</c>) and adds upstream's errors.
    /// </summary>
    public static void Validate(JsonObject raw, bool statusEnabled, string path, List<FieldError> errors)
    {
        var schemaPath = path + ".openAPIV3Schema";
        var schema = CrdSchema.Parse(raw);
        if (statusEnabled)
        {
            foreach (var key in GoFieldOrder)
            {
                if (!raw.TryGetPropertyValue(key, out var value) || IsZero(value))
                {
                    continue;
                }

                if (key == "type")
                {
                    if (schema.Type != "object")
                    {
                        errors.Add(FieldError.Invalid(schemaPath + ".type", GoValue.Quote(schema.Type), "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled"));
                        break;
                    }

                    continue;
                }

                if (!AllowedAtRoot.Contains(key))
                {
                    errors.Add(FieldError.Invalid(schemaPath, GoValue.GoSyntax(raw), $"only {AllowedAtRootText} fields are allowed at the root of the schema if the status subresource is enabled"));
                    break;
                }
            }
        }

        if (schema.Nullable)
        {
            errors.Add(FieldError.Forbidden(schemaPath + ".nullable", "nullable cannot be true at the root"));
        }

        var structural = new List<FieldError>();
        Invariants(schema, Level.Root, schemaPath, structural);
        Completeness(schema, schemaPath, structural);
        structural.Sort((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
        errors.AddRange(structural);
        if (structural.Count == 0)
        {
            Defaults(schema, schemaPath, schema, errors);
        }

        OpenApi(schema, schemaPath, isRoot: true, insideMeta: false, defaultsForbidden: null, errors);
    }

    /// <summary>True when any level of <paramref name="s"/> sets a default.</summary>
    public static bool HasDefaults(CrdSchema s) =>
        s.HasDefault || s.Properties.Any(p => HasDefaults(p.Value)) || (s.Items is { } i && HasDefaults(i))
        || (s.AdditionalProperties is { } a && HasDefaults(a)) || s.AllOf.Concat(s.AnyOf).Concat(s.OneOf).Any(HasDefaults) || (s.Not is { } n && HasDefaults(n));

    private static bool IsZero(JsonNode? value) => value switch
    {
        null => true,
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        _ => value.GetValueKind() switch
        {
            JsonValueKind.False => true,
            JsonValueKind.String => value.GetValue<string>().Length == 0,
            JsonValueKind.Number => value.ToJsonString() == "0",
            _ => false,
        },
    };

    private static string Key(string path, string key) => $"{path}[{key}]";

    private static void Invariants(CrdSchema? s, Level level, string path, List<FieldError> errors)
    {
        if (s is null)
        {
            return;
        }

        if (s.Type == "array" && s.Items is null && !s.ItemsIsArray)
        {
            errors.Add(FieldError.Required(path + ".items", "must be specified"));
        }

        Invariants(s.Items, Level.Item, path + ".items", errors);
        foreach (var (name, property) in s.Properties)
        {
            Invariants(property, Level.Field, Key(path + ".properties", name), errors);
        }

        if (s.HasAdditionalProperties)
        {
            if (level == Level.Root)
            {
                errors.Add(FieldError.Forbidden(path + ".additionalProperties", "must not be used at the root"));
            }

            Invariants(s.AdditionalProperties, Level.Field, path + ".additionalProperties", errors);
        }

        if (s.XIntOrString && s.PreservesUnknownFields)
        {
            errors.Add(FieldError.Invalid(path + ".x-kubernetes-preserve-unknown-fields", "true", "must be false if x-kubernetes-int-or-string is true"));
        }

        if (s.XIntOrString && s.XEmbeddedResource)
        {
            errors.Add(FieldError.Invalid(path + ".x-kubernetes-embedded-resource", "true", "must be false if x-kubernetes-int-or-string is true"));
        }

        Junctions(s, level, path, errors);
        if (s.XEmbeddedResource && s.Type != "object")
        {
            errors.Add(s.Type.Length == 0
                ? FieldError.Required(path + ".type", "must be object if x-kubernetes-embedded-resource is true")
                : FieldError.Invalid(path + ".type", GoValue.Quote(s.Type), "must be object if x-kubernetes-embedded-resource is true"));
        }
        else if (s.Type.Length == 0 && !s.XIntOrString && !s.PreservesUnknownFields)
        {
            errors.Add(FieldError.Required(path + ".type", level switch
            {
                Level.Root => "must not be empty at the root",
                Level.Item => "must not be empty for specified array items",
                _ => "must not be empty for specified object fields",
            }));
        }

        if (s.XEmbeddedResource && s.HasAdditionalProperties)
        {
            errors.Add(FieldError.Forbidden(path + ".additionalProperties", "must not be used if x-kubernetes-embedded-resource is set"));
        }

        if (level == Level.Root && s.Type.Length > 0 && s.Type != "object")
        {
            errors.Add(FieldError.Invalid(path + ".type", GoValue.Quote(s.Type), "must be object at the root"));
        }

        var checkMetadata = level == Level.Root || s.XEmbeddedResource;
        foreach (var meta in new[] { "kind", "apiVersion" })
        {
            if (checkMetadata && s.Property(meta) is { } p && p.Type != "string")
            {
                errors.Add(FieldError.Invalid(Key(path + ".properties", meta) + ".type", GoValue.Quote(p.Type), "must be string"));
            }
        }

        if (s.Property("metadata") is { } metadata)
        {
            var metaPath = Key(path + ".properties", "metadata");
            if (checkMetadata && metadata.Type != "object")
            {
                errors.Add(FieldError.Invalid(metaPath + ".type", GoValue.Quote(metadata.Type), "must be object"));
            }

            if (level == Level.Root && !OnlyNameAndGenerateName(metadata))
            {
                errors.Add(FieldError.Forbidden(metaPath, "must not specify anything other than name and generateName, but metadata is implicitly specified"));
            }
        }

        if (s.XEmbeddedResource && !s.PreservesUnknownFields && s.Properties.Count == 0)
        {
            errors.Add(FieldError.Required(path + ".properties", "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
        }
    }

    // The root metadata schema may say it is an object and restrict name and generateName, nothing else.
    private static bool OnlyNameAndGenerateName(CrdSchema metadata)
    {
        var names = metadata.Properties.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var onlyNames = names.IsSubsetOf(["name", "generateName"]);
        foreach (var (key, _) in metadata.Raw)
        {
            switch (key)
            {
                case "type" or "default":
                    continue;
                case "properties" when onlyNames:
                    continue;
                default:
                    if (!IsZero(metadata.Raw[key]))
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    private static bool IsIntOrStringAnyOf(IReadOnlyList<CrdSchema> anyOf) =>
        anyOf.Count == 2 && IsOnlyType(anyOf[0], "integer") && IsOnlyType(anyOf[1], "string");

    private static bool IsOnlyType(CrdSchema s, string type) => s.Type == type && s.Raw.Count == 1;

    private static void Junctions(CrdSchema s, Level level, string path, List<FieldError> errors)
    {
        var skipAnyOf = IsIntOrStringAnyOf(s.AnyOf);
        var skipFirstAllOfAnyOf = s.AllOf.Count >= 1 && IsIntOrStringAnyOf(s.AllOf[0].AnyOf);
        ValueValidation(s, skipAnyOf, skipFirstAllOfAnyOf, level, path, errors);
    }

    private static void ValueValidation(CrdSchema s, bool skipAnyOf, bool skipFirstAllOfAnyOf, Level level, string path, List<FieldError> errors)
    {
        if (!skipAnyOf)
        {
            for (var i = 0; i < s.AnyOf.Count; i++)
            {
                Nested(s.AnyOf[i], false, level, $"{path}.anyOf[{i}]", errors);
            }
        }

        for (var i = 0; i < s.AllOf.Count; i++)
        {
            Nested(s.AllOf[i], skipFirstAllOfAnyOf && i == 0, level, $"{path}.allOf[{i}]", errors);
        }

        for (var i = 0; i < s.OneOf.Count; i++)
        {
            Nested(s.OneOf[i], false, level, $"{path}.oneOf[{i}]", errors);
        }

        if (s.Not is { } not)
        {
            Nested(not, false, level, path + ".not", errors);
        }

        if (s.Pattern.Length > 0 && CrdSchema.CompilePattern(s.Pattern, out var why) is null)
        {
            errors.Add(FieldError.Invalid(path + ".pattern", GoValue.Quote(s.Pattern), $"must be a valid regular expression, but isn't: {why}"));
        }
    }

    private static void Nested(CrdSchema v, bool skipAnyOf, Level level, string path, List<FieldError> errors)
    {
        ValueValidation(v, skipAnyOf, false, level, path, errors);
        if (v.Items is { } items)
        {
            Nested(items, false, level, path + ".items", errors);
        }

        foreach (var (name, property) in v.Properties)
        {
            Nested(property, false, Level.Field, Key(path + ".properties", name), errors);
        }

        if (v.Type.Length > 0)
        {
            errors.Add(FieldError.Forbidden(path + ".type", "must be empty to be structural"));
        }

        if (v.HasAdditionalProperties)
        {
            errors.Add(FieldError.Forbidden(path + ".additionalProperties", "must be undefined to be structural"));
        }

        if (v.HasDefault)
        {
            errors.Add(FieldError.Forbidden(path + ".default", "must be undefined to be structural"));
        }

        if (v.Title.Length > 0)
        {
            errors.Add(FieldError.Forbidden(path + ".title", "must be empty to be structural"));
        }

        if (v.Description.Length > 0)
        {
            errors.Add(FieldError.Forbidden(path + ".description", "must be empty to be structural"));
        }

        if (v.Nullable)
        {
            errors.Add(FieldError.Forbidden(path + ".nullable", "must be false to be structural"));
        }

        if (v.PreservesUnknownFields)
        {
            errors.Add(FieldError.Forbidden(path + ".x-kubernetes-preserve-unknown-fields", "must be false to be structural"));
        }

        if (v.XEmbeddedResource)
        {
            errors.Add(FieldError.Forbidden(path + ".x-kubernetes-embedded-resource", "must be false to be structural"));
        }

        if (v.XIntOrString)
        {
            errors.Add(FieldError.Forbidden(path + ".x-kubernetes-int-or-string", "must be false to be structural"));
        }

        if (v.XListMapKeys.Count > 0)
        {
            errors.Add(FieldError.Forbidden(path + ".x-kubernetes-list-map-keys", "must be empty to be structural"));
        }

        if (v.XListType is not null)
        {
            errors.Add(FieldError.Forbidden(path + ".x-kubernetes-list-type", "must be undefined to be structural"));
        }

        if (v.XMapType is not null)
        {
            errors.Add(FieldError.Forbidden(path + ".x-kubernetes-map-type", "must be undefined to be structural"));
        }

        if (v.Raw["x-kubernetes-validations"] is JsonArray { Count: > 0 })
        {
            errors.Add(FieldError.Forbidden(path + ".x-kubernetes-validations", "must be empty to be structural"));
        }

        if (v.Property("metadata") is not null)
        {
            errors.Add(FieldError.Forbidden(Key(path + ".properties", "metadata"), "must not be specified in a nested context"));
        }
    }

    // Whatever allOf/anyOf/oneOf/not at the root speak of must also be specified outside them.
    private static void Completeness(CrdSchema s, string path, List<FieldError> errors)
    {
        void Value(CrdSchema v, CrdSchema? target, string sPath, string vPath)
        {
            if (v.Not is { } not)
            {
                NestedCompleteness(not, target, sPath, vPath + ".not");
            }

            for (var i = 0; i < v.AllOf.Count; i++)
            {
                NestedCompleteness(v.AllOf[i], target, sPath, $"{vPath}.allOf[{i}]");
            }

            for (var i = 0; i < v.AnyOf.Count; i++)
            {
                NestedCompleteness(v.AnyOf[i], target, sPath, $"{vPath}.anyOf[{i}]");
            }

            for (var i = 0; i < v.OneOf.Count; i++)
            {
                NestedCompleteness(v.OneOf[i], target, sPath, $"{vPath}.oneOf[{i}]");
            }
        }

        void NestedCompleteness(CrdSchema v, CrdSchema? target, string sPath, string vPath)
        {
            if (target is null)
            {
                errors.Add(FieldError.Required(sPath, $"because it is defined in {vPath}"));
                return;
            }

            Value(v, target, sPath, vPath);
            if (v.Items is { } items)
            {
                NestedCompleteness(items, target.Items, sPath + ".items", vPath + ".items");
            }

            foreach (var (name, property) in v.Properties)
            {
                if (target.Property(name) is { } field)
                {
                    NestedCompleteness(property, field, Key(sPath + ".properties", name), Key(vPath + ".properties", name));
                }
                else
                {
                    errors.Add(FieldError.Required(Key(sPath + ".properties", name), $"because it is defined in {Key(vPath + ".properties", name)}"));
                }
            }
        }

        Value(s, s, path, path);
    }

    // Default values must validate against their schema, be pruned already, and stay out of metadata.
    private static void Defaults(CrdSchema s, string path, CrdSchema root, List<FieldError> errors)
    {
        if (s.Default is { } value)
        {
            var pruned = value.DeepClone();
            SchemaPruner.Prune(pruned, s, s.XEmbeddedResource);
            if (!JsonNode.DeepEquals(pruned, value))
            {
                errors.Add(FieldError.Invalid(path + ".default", GoValue.Of(value), "must not have unknown fields"));
            }

            var problems = new List<FieldError>();
            ObjectMetaCoercion.ValidateEmbedded(value, s, path + ".default", problems);
            errors.AddRange(problems.Count > 0 ? problems : SchemaValidator.Validate(value, s, path + ".default"));
        }

        if (s.Items is { } items)
        {
            Defaults(items, path + ".items", root, errors);
        }

        foreach (var (name, property) in s.Properties)
        {
            Defaults(property, Key(path + ".properties", name), root, errors);
        }
    }

    // Upstream's ValidateCustomResourceDefinitionOpenAPISchema and specStandardValidatorV3.
    private static void OpenApi(CrdSchema s, string path, bool isRoot, bool insideMeta, string? defaultsForbidden, List<FieldError> errors)
    {
        if (s.Type.Length > 0 && !OpenApiTypes.Contains(s.Type))
        {
            errors.Add(FieldError.NotSupported(path + ".type", GoValue.Quote(s.Type), OpenApiTypes));
        }

        if (s.HasDefault && defaultsForbidden is not null)
        {
            errors.Add(FieldError.Forbidden(path + ".default", defaultsForbidden.Length == 0 ? "must not be set" : "must not be set " + defaultsForbidden));
        }

        foreach (var (key, what) in new[] { ("id", "id"), ("additionalItems", "additionalItems"), ("patternProperties", "patternProperties"), ("definitions", "definitions"), ("dependencies", "dependencies"), ("$ref", "$ref") })
        {
            if (s.Raw[key] is { } present && !(key is "patternProperties" or "definitions" && present is JsonObject { Count: 0 }) && !(key == "id" && IsZero(present)))
            {
                errors.Add(FieldError.Forbidden($"{path}.{key}", $"{what} is not supported"));
            }
        }

        if (s.Type == "null")
        {
            errors.Add(FieldError.Forbidden(path + ".type", "type cannot be set to null, use nullable as an alternative"));
        }

        if (s.ItemsIsArray)
        {
            errors.Add(FieldError.Forbidden(path + ".items", "items must be a schema object and not an array"));
        }

        if (insideMeta && s.XEmbeddedResource)
        {
            errors.Add(FieldError.Forbidden(path + ".x-kubernetes-embedded-resource", "must not be used inside of resource meta"));
        }

        if (s.UniqueItems)
        {
            errors.Add(FieldError.Forbidden(path + ".uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
        }

        if (s.HasAdditionalProperties)
        {
            if (s.Properties.Count > 0 && (!s.AllowsAdditionalProperties || s.AdditionalProperties is not null))
            {
                errors.Add(FieldError.Forbidden(path + ".additionalProperties", "additionalProperties and properties are mutual exclusive"));
            }

            if (s.AdditionalProperties is { } additional)
            {
                OpenApi(additional, path + ".additionalProperties", false, insideMeta, insideMeta ? "inside additionalProperties applying to object metadata" : defaultsForbidden, errors);
            }
        }

        foreach (var (name, property) in s.Properties)
        {
            var childInsideMeta = insideMeta;
            var childForbidden = defaultsForbidden;
            if ((isRoot || s.XEmbeddedResource) && name is "metadata" or "kind" or "apiVersion")
            {
                childInsideMeta = true;
                if (isRoot)
                {
                    childForbidden = $"in top-level {name}";
                }
            }

            OpenApi(property, Key(path + ".properties", name), false, childInsideMeta, childForbidden, errors);
        }

        if (s.Not is { } not)
        {
            OpenApi(not, path + ".not", false, insideMeta, defaultsForbidden, errors);
        }

        for (var i = 0; i < s.AllOf.Count; i++)
        {
            OpenApi(s.AllOf[i], $"{path}.allOf[{i}]", false, insideMeta, defaultsForbidden, errors);
        }

        for (var i = 0; i < s.OneOf.Count; i++)
        {
            OpenApi(s.OneOf[i], $"{path}.oneOf[{i}]", false, insideMeta, defaultsForbidden, errors);
        }

        for (var i = 0; i < s.AnyOf.Count; i++)
        {
            OpenApi(s.AnyOf[i], $"{path}.anyOf[{i}]", false, insideMeta, defaultsForbidden, errors);
        }

        if (s.Items is { } items)
        {
            OpenApi(items, path + ".items", false, insideMeta, defaultsForbidden, errors);
        }

        for (var i = 0; i < s.ItemsTuple.Count; i++)
        {
            OpenApi(s.ItemsTuple[i], $"{path}.items[{i}]", false, insideMeta, defaultsForbidden, errors);
        }

        if (s.XPreserveUnknownFields == false)
        {
            errors.Add(FieldError.Invalid(path + ".x-kubernetes-preserve-unknown-fields", "false", "must be true or undefined"));
        }

        ListAndMapTypes(s, path, errors);
        if (s.Raw["x-kubernetes-validations"] is JsonArray rules)
        {
            for (var i = 0; i < rules.Count; i++)
            {
                if (rules[i]?["rule"] is not JsonValue rule || rule.GetValueKind() != JsonValueKind.String || rule.GetValue<string>().Trim().Length == 0)
                {
                    errors.Add(FieldError.Required($"{path}.x-kubernetes-validations[{i}].rule", "rule is not specified"));
                }
            }
        }
    }

    private static void ListAndMapTypes(CrdSchema s, string path, List<FieldError> errors)
    {
        if (s.XMapType is { } mapType)
        {
            if (s.Type != "object")
            {
                errors.Add(s.Type.Length == 0
                    ? FieldError.Required(path + ".type", "must be object if x-kubernetes-map-type is specified")
                    : FieldError.Invalid(path + ".type", GoValue.Quote(s.Type), "must be object if x-kubernetes-map-type is specified"));
            }

            if (mapType is not ("atomic" or "granular"))
            {
                errors.Add(FieldError.NotSupported(path + ".x-kubernetes-map-type", GoValue.Quote(mapType), ["atomic", "granular"]));
            }
        }

        if (s.XListType is { } listType)
        {
            if (s.Type != "array")
            {
                errors.Add(s.Type.Length == 0
                    ? FieldError.Required(path + ".type", "must be array if x-kubernetes-list-type is specified")
                    : FieldError.Invalid(path + ".type", GoValue.Quote(s.Type), "must be array if x-kubernetes-list-type is specified"));
            }
            else if (listType == "set" && s.Items is { } items)
            {
                if (items.Type == "array" && items.XListType is not (null or "atomic"))
                {
                    errors.Add(FieldError.Invalid(path + ".items.x-kubernetes-list-type", GoValue.Quote(items.XListType), "must be atomic as item of a list with x-kubernetes-list-type=set"));
                }
                else if (items.Type == "object" && items.XMapType != "atomic")
                {
                    errors.Add(FieldError.Invalid(path + ".items.x-kubernetes-map-type", "null", "must be atomic as item of a list with x-kubernetes-list-type=set"));
                }
            }

            if (listType is not ("atomic" or "set" or "map"))
            {
                errors.Add(FieldError.NotSupported(path + ".x-kubernetes-list-type", GoValue.Quote(listType), ["atomic", "set", "map"]));
            }
        }

        if (s.XListMapKeys.Count > 0 && s.XListType != "map")
        {
            errors.Add(s.XListType is null
                ? FieldError.Required(path + ".x-kubernetes-list-type", "must be map if x-kubernetes-list-map-keys is non-empty")
                : FieldError.Invalid(path + ".x-kubernetes-list-type", GoValue.Quote(s.XListType), "must be map if x-kubernetes-list-map-keys is non-empty"));
        }

        if (s.XListType == "map")
        {
            if (s.XListMapKeys.Count == 0)
            {
                errors.Add(FieldError.Required(path + ".x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map"));
            }

            if (s.Items is null)
            {
                errors.Add(FieldError.Required(path + ".items", "must have a schema if x-kubernetes-list-type is map"));
            }
            else if (s.Items.Type != "object")
            {
                errors.Add(FieldError.Invalid(path + ".items.type", GoValue.Quote(s.Items.Type), "must be object if parent array's x-kubernetes-list-type is map"));
            }
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var key in s.XListMapKeys)
                {
                    if (s.Items.Property(key) is { } keySchema)
                    {
                        if (keySchema.Type is "array" or "object")
                        {
                            errors.Add(FieldError.Invalid(Key(path + ".items.properties", key) + ".type", GoValue.Quote(s.Items.Type), "must be a scalar type if parent array's x-kubernetes-list-type is map"));
                        }

                        if (!s.Items.Required.Contains(key) && !keySchema.HasDefault)
                        {
                            errors.Add(FieldError.Required(Key(path + ".items.properties", key) + ".default", "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"));
                        }

                        if (keySchema.Nullable)
                        {
                            errors.Add(FieldError.Forbidden(Key(path + ".items.properties", key) + ".nullable", "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
                        }
                    }
                    else
                    {
                        errors.Add(FieldError.Invalid(path + ".x-kubernetes-list-map-keys", GoValue.GoSyntax(new JsonArray([.. s.XListMapKeys.Select(k => (JsonNode)k)])), "entries must all be names of item properties"));
                    }

                    if (!seen.Add(key))
                    {
                        errors.Add(FieldError.Invalid(path + ".x-kubernetes-list-map-keys", GoValue.GoSyntax(new JsonArray([.. s.XListMapKeys.Select(k => (JsonNode)k)])), "must not contain duplicate entries"));
                    }
                }
            }
        }

        if (s.XListType is "set" or "map" && s.Items is { Nullable: true })
        {
            errors.Add(FieldError.Forbidden(path + ".items.nullable", "cannot be nullable when x-kubernetes-list-type is " + s.XListType));
        }
    }
}
