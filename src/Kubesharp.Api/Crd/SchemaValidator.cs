using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Patch;

namespace Kubesharp.Api.Crd;

/// <summary>
/// Validates a JSON value against a CRD schema as upstream's custom resource validator does (kube-openapi's
/// <c>validate.SchemaValidator</c> turned into field errors by <c>apiextensions-apiserver</c>): type and
/// nullable, allOf/anyOf/oneOf/not, string length and pattern, formats, number bounds and multipleOf, list
/// bounds, items and uniqueness, enum, object bounds, properties, additionalProperties and required. Messages
/// and field paths are upstream's: <c>spec.replicas: Invalid value: "string": spec.replicas in body must be of
/// type integer: "string"</c>. x-kubernetes-validations (CEL) rules are not evaluated. Stateless and thread-safe.
/// </summary>
public static class SchemaValidator
{
    /// <summary>
    /// The errors of <paramref name="value"/>; empty when it is valid. <paramref name="prefix"/> is the field path
    /// the schema's root stands at (null for an object's root, <c>status</c> for the status subresource's
    /// validator, a CRD path for default values); kube-openapi's own names in messages start from the root.
    /// </summary>
    public static List<FieldError> Validate(JsonNode? value, CrdSchema schema, string? prefix = null)
    {
        var errors = new List<FieldError>();
        new Run(prefix, errors).Node(value, schema, "");
        return errors;
    }

    private sealed class Run(string? prefix, List<FieldError> errors)
    {
        private readonly string? _prefix = prefix;

        public List<FieldError> Errors { get; } = errors;

        // How apiextensions turns a kube-openapi error name into a field path.
        private string Field(string name)
        {
            if (name.Length == 0 || name == ".")
            {
                return _prefix ?? "<nil>";
            }

            var trimmed = name.StartsWith('.') ? name[1..] : name;
            return _prefix is null ? trimmed : $"{_prefix}.{trimmed}";
        }

        public void Node(JsonNode? data, CrdSchema s, string name)
        {
            var types = Types(s);
            if (data is null)
            {
                if (types.Length > 0 && !s.Nullable)
                {
                    TypeError(name, string.Join(",", types), "null");
                }

                Enum(data, s, name);
                return;
            }

            var kind = PatchJson.Kind(data);
            // kube-openapi goes on with the other checks after a type error; so do we.
            TypeCheck(data, kind, s, types, name);

            Junctions(data, s, name);
            if (kind == GoKind.String)
            {
                StringChecks(data.GetValue<string>(), s, name);
                if (s.Format.Length > 0 && SchemaFormats.IsKnown(s.Format) && !SchemaFormats.IsValid(s.Format, data.GetValue<string>()))
                {
                    TypeError(name, s.Format, data.GetValue<string>());
                }
            }

            if (kind is GoKind.Int or GoKind.Float)
            {
                NumberChecks(data, kind, s, name);
            }

            if (data is JsonArray array)
            {
                ArrayChecks(array, s, name);
            }

            Enum(data, s, name);
            if (data is JsonObject obj)
            {
                ObjectChecks(obj, s, name);
            }
        }

        private static string[] Types(CrdSchema s) =>
            s.XIntOrString ? ["integer", "string"] : s.Type.Length > 0 ? [s.Type] : [];

        // kube-openapi's typeValidator, with its format-name quirks for numbers.
        private void TypeCheck(JsonNode data, GoKind kind, CrdSchema s, string[] types, string name)
        {
            if (types.Length == 0 && s.Format.Length == 0)
            {
                return;
            }

            var (schType, dataFormat) = kind switch
            {
                GoKind.String => ("string", ""),
                GoKind.Bool => ("boolean", ""),
                GoKind.Int => ("integer", "int64"),
                GoKind.Float => ("number", "double"),
                GoKind.Array => ("array", ""),
                _ => ("object", ""),
            };
            var isFloatInt = kind == GoKind.Float && types.Contains("integer") && IsIntegral(data);
            var isIntFloat = kind == GoKind.Int && types.Contains("number");
            if (kind is not (GoKind.String or GoKind.Array) && s.Format.Length > 0
                && !(types.Contains(schType) || dataFormat == s.Format || isFloatInt || isIntFloat))
            {
                TypeError(name, s.Format, dataFormat);
                return;
            }

            if (!(types.Contains("number") || types.Contains("integer")) && s.Format.Length > 0 && kind is GoKind.String or GoKind.Array)
            {
                return;
            }

            if (!(types.Contains(schType) || isFloatInt || isIntFloat))
            {
                TypeError(name, string.Join(",", types), schType);
            }
        }

        private void TypeError(string name, string type, string value) =>
            Errors.Add(FieldError.TypeInvalid(Field(name), GoValue.Quote(value), $"{name} in body must be of type {type}: {GoValue.Quote(value)}"));

        private void Invalid(string name, string goValue, string message) => Errors.Add(FieldError.Invalid(Field(name), goValue, message));

        // Errors of allOf/anyOf/oneOf/not are not tied to a field upstream: they land on the validator's root path.
        private void Composite(string message) => Errors.Add(FieldError.Invalid(_prefix ?? "<nil>", GoValue.Quote(""), message));

        private void Junctions(JsonNode data, CrdSchema s, string name)
        {
            if (s.AnyOf.Count > 0)
            {
                List<FieldError>? best = null;
                var succeeded = false;
                foreach (var alternative in s.AnyOf)
                {
                    var result = Sub(data, alternative, name);
                    if (result.Count == 0)
                    {
                        succeeded = true;
                        best = null;
                        break;
                    }

                    // kube-openapi keeps the failures of the alternative that matched best; fewest errors stands in for it.
                    if (best is null || result.Count < best.Count)
                    {
                        best = result;
                    }
                }

                if (!succeeded)
                {
                    Composite($"{GoValue.Quote(name)} must validate at least one schema (anyOf)");
                    Errors.AddRange(best ?? []);
                }
            }

            if (s.OneOf.Count > 0)
            {
                List<FieldError>? best = null;
                var validated = 0;
                foreach (var alternative in s.OneOf)
                {
                    var result = Sub(data, alternative, name);
                    if (result.Count == 0)
                    {
                        validated++;
                        best = null;
                        continue;
                    }

                    if (validated == 0 && (best is null || result.Count < best.Count))
                    {
                        best = result;
                    }
                }

                if (validated != 1)
                {
                    var found = validated == 0 ? "Found none valid" : $"Found {validated} valid alternatives";
                    Composite($"{GoValue.Quote(name)} must validate one and only one schema (oneOf). {found}");
                    Errors.AddRange(best ?? []);
                }
            }

            if (s.AllOf.Count > 0)
            {
                var validated = 0;
                foreach (var part in s.AllOf)
                {
                    var result = Sub(data, part, name);
                    validated += result.Count == 0 ? 1 : 0;
                    Errors.AddRange(result);
                }

                if (validated != s.AllOf.Count)
                {
                    Composite($"{GoValue.Quote(name)} must validate all the schemas (allOf){(validated == 0 ? ". None validated" : "")}");
                }
            }

            if (s.Not is { } not && Sub(data, not, name).Count == 0)
            {
                Composite($"{GoValue.Quote(name)} must not validate the schema (not)");
            }
        }

        private List<FieldError> Sub(JsonNode data, CrdSchema s, string name)
        {
            var run = new Run(_prefix, []);
            run.Node(data, s, name);
            return run.Errors;
        }

        // kube-openapi's stringValidator stops at the first failure.
        private void StringChecks(string value, CrdSchema s, string name)
        {
            var length = value.EnumerateRunes().Count();
            if (s.MaxLength is { } max && length > max)
            {
                Errors.Add(FieldError.TooLong(Field(name), max));
                return;
            }

            if (s.MinLength is { } min && length < min)
            {
                Invalid(name, GoValue.Quote(value), $"{name} in body should be at least {min} chars long");
                return;
            }

            if (s.Pattern.Length > 0)
            {
                var regex = s.PatternRegex;
                if (regex is null)
                {
                    CrdSchema.CompilePattern(s.Pattern, out var why);
                    Invalid(name, GoValue.Quote(value), $"{name} in body should match '{s.Pattern}, but pattern is invalid: {why}'");
                }
                else if (!regex.IsMatch(value))
                {
                    Invalid(name, GoValue.Quote(value), $"{name} in body should match '{s.Pattern}'");
                }
            }
        }

        private void NumberChecks(JsonNode data, GoKind kind, CrdSchema s, string name)
        {
            var text = data.ToJsonString();
            var isInt = kind == GoKind.Int;
            var asInt = isInt ? long.Parse(text, CultureInfo.InvariantCulture) : 0;
            var asFloat = double.Parse(text, CultureInfo.InvariantCulture);
            var shown = isInt ? GoValue.Number(asInt) : GoValue.Number(asFloat);
            if (s.MultipleOf is { } factor)
            {
                if (factor <= 0)
                {
                    Invalid(name, GoValue.Number(factor), $"factor MultipleOf declared for {name} must be positive: {GoValue.Number(factor)}");
                }
                else if (isInt && factor == Math.Floor(factor))
                {
                    if (asInt % (long)factor != 0)
                    {
                        Invalid(name, shown, $"{name} in body should be a multiple of {GoValue.Number((long)factor)}");
                    }
                }
                else
                {
                    var mult = asFloat / factor;
                    if (Math.Abs(mult - Math.Round(mult)) > 1e-9)
                    {
                        Invalid(name, shown, $"{name} in body should be a multiple of {GoValue.Number(factor)}");
                    }
                }
            }

            // Integers are compared with the bound truncated to an integer, as kube-openapi's native-type checks do.
            if (s.Minimum is { } min)
            {
                var below = isInt
                    ? (s.ExclusiveMinimum ? asInt <= (long)min : asInt < (long)min)
                    : (s.ExclusiveMinimum ? asFloat <= min : asFloat < min);
                if (below)
                {
                    var bound = isInt ? GoValue.Number((long)min) : GoValue.Number(min);
                    Invalid(name, shown, $"{name} in body should be greater than {(s.ExclusiveMinimum ? "" : "or equal to ")}{bound}");
                }
            }

            if (s.Maximum is { } max)
            {
                var above = isInt
                    ? (s.ExclusiveMaximum ? asInt >= (long)max : asInt > (long)max)
                    : (s.ExclusiveMaximum ? asFloat >= max : asFloat > max);
                if (above)
                {
                    var bound = isInt ? GoValue.Number((long)max) : GoValue.Number(max);
                    Invalid(name, shown, $"{name} in body should be less than {(s.ExclusiveMaximum ? "" : "or equal to ")}{bound}");
                }
            }
        }

        private void ArrayChecks(JsonArray array, CrdSchema s, string name)
        {
            if (s.Items is { } items)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    Node(array[i], items, $"{name}[{i}]");
                }
            }

            if (s.MinItems is { } min && array.Count < min)
            {
                Invalid(name, GoValue.Number(array.Count), $"{name} in body should have at least {min} items");
            }

            if (s.MaxItems is { } max && array.Count > max)
            {
                Errors.Add(FieldError.TooMany(Field(name), array.Count, max));
            }

            if (s.UniqueItems)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    for (var j = i + 1; j < array.Count; j++)
                    {
                        if (JsonEquals(array[i], array[j]))
                        {
                            Invalid(name, GoValue.Quote(""), $"{name} in body shouldn't contain duplicates");
                            return;
                        }
                    }
                }
            }
        }

        private void Enum(JsonNode? data, CrdSchema s, string name)
        {
            if (s.Enum is not { Count: > 0 } values)
            {
                return;
            }

            // A null never matches an enum in kube-openapi (not even a listed null).
            if (data is not null && values.Any(v => v is not null && JsonEquals(data, v)))
            {
                return;
            }

            var supported = values.Select(v => PatchJson.Kind(v) == GoKind.String ? v!.GetValue<string>() : v?.ToJsonString() ?? "null");
            Errors.Add(FieldError.NotSupported(Field(name), GoValue.Of(data), supported));
        }

        private void ObjectChecks(JsonObject obj, CrdSchema s, string name)
        {
            if (s.MinProperties is { } min && obj.Count < min)
            {
                Invalid(name, GoValue.Number(obj.Count), $"{name} in body should have at least {min} properties");
            }

            if (s.MaxProperties is { } max && obj.Count > max)
            {
                Errors.Add(FieldError.TooMany(Field(name), obj.Count, max));
            }

            if (!s.AllowsAdditionalProperties)
            {
                foreach (var (key, _) in obj)
                {
                    if (s.Property(key) is null)
                    {
                        Invalid(name, GoValue.Quote(key), $"{name}.{key} in body is a forbidden property");
                    }
                }
            }
            else if (s.AdditionalProperties is { } additional)
            {
                foreach (var (key, value) in obj)
                {
                    if (s.Property(key) is null)
                    {
                        Node(value, additional, $"{name}.{key}");
                    }
                }
            }

            foreach (var (key, schema) in s.Properties)
            {
                if (obj.TryGetPropertyValue(key, out var value))
                {
                    Node(value, schema, name.Length == 0 ? key : $"{name}.{key}");
                }
            }

            foreach (var key in s.Required)
            {
                if (!obj.ContainsKey(key))
                {
                    Errors.Add(FieldError.Required(Field($"{name}.{key}")));
                }
            }
        }
    }

    internal static bool IsIntegral(JsonNode number)
    {
        var d = double.Parse(number.ToJsonString(), CultureInfo.InvariantCulture);
        return !double.IsInfinity(d) && d == Math.Floor(d);
    }

    /// <summary>JSON equality with numbers compared by value (1 equals 1.0), as Go compares decoded values.</summary>
    internal static bool JsonEquals(JsonNode? a, JsonNode? b)
    {
        var (ka, kb) = (PatchJson.Kind(a), PatchJson.Kind(b));
        if (ka is GoKind.Int or GoKind.Float && kb is GoKind.Int or GoKind.Float)
        {
            return double.Parse(a!.ToJsonString(), CultureInfo.InvariantCulture) == double.Parse(b!.ToJsonString(), CultureInfo.InvariantCulture);
        }

        if (ka != kb)
        {
            return false;
        }

        switch (a)
        {
            case JsonObject oa:
                var ob = (JsonObject)b!;
                return oa.Count == ob.Count && oa.All(p => ob.TryGetPropertyValue(p.Key, out var v) && JsonEquals(p.Value, v));
            case JsonArray aa:
                var ab = (JsonArray)b!;
                return aa.Count == ab.Count && aa.Select((v, i) => JsonEquals(v, ab[i])).All(x => x);
            case null:
                return true;
            default:
                return a.GetValueKind() == JsonValueKind.String
                    ? a.GetValue<string>() == b!.GetValue<string>()
                    : a.ToJsonString() == b!.ToJsonString();
        }
    }
}
