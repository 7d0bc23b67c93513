using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Kubesharp.Api.Selectors;

/// <summary>The operators of a label requirement (upstream's <c>selection.Operator</c>).</summary>
public enum LabelSelectorOperator
{
    /// <summary><c>key in (a,b)</c>: the label exists and its value is one of the values.</summary>
    In,

    /// <summary><c>key notin (a,b)</c>: the label is missing, or its value is none of the values.</summary>
    NotIn,

    /// <summary><c>key=a</c>.</summary>
    Equals,

    /// <summary><c>key==a</c>: matches as <see cref="Equals"/>; kept apart so that the canonical text keeps <c>==</c>, as upstream's does.</summary>
    DoubleEquals,

    /// <summary><c>key!=a</c>: the label is missing, or its value differs.</summary>
    NotEquals,

    /// <summary><c>key</c>: the label exists, whatever its value.</summary>
    Exists,

    /// <summary><c>!key</c>: the label is missing.</summary>
    DoesNotExist,

    /// <summary><c>key&gt;5</c>: the label exists and its value, read as a 64-bit integer, is greater.</summary>
    GreaterThan,

    /// <summary><c>key&lt;5</c>: the label exists and its value, read as a 64-bit integer, is smaller.</summary>
    LessThan,
}

/// <summary>
/// One term of a <see cref="LabelSelector"/>: a key, an operator and its values. Only built by the
/// selector's factories, which validate it as upstream's <c>labels.NewRequirement</c> does, so every
/// instance is valid. Immutable and thread-safe.
/// </summary>
public sealed class LabelRequirement : IEquatable<LabelRequirement>
{
    // UTF-8 copies so that matching against stored JSON compares bytes and allocates nothing.
    private readonly byte[] _keyUtf8;
    private readonly byte[][] _valuesUtf8;
    private readonly long _bound;

    internal LabelRequirement(string key, LabelSelectorOperator op, ImmutableArray<string> values)
    {
        Key = key;
        Operator = op;
        Values = values;
        _keyUtf8 = Encoding.UTF8.GetBytes(key);
        _valuesUtf8 = new byte[values.Length][];
        for (var i = 0; i < values.Length; i++)
        {
            _valuesUtf8[i] = Encoding.UTF8.GetBytes(values[i]);
        }

        if (op is LabelSelectorOperator.GreaterThan or LabelSelectorOperator.LessThan)
        {
            // TryCreate has already made sure of exactly one integer value.
            _bound = GoText.TryParseInt64(values[0], out var bound) ? bound : throw new ArgumentException("not an integer", nameof(values));
        }
    }

    public string Key { get; }

    public LabelSelectorOperator Operator { get; }

    /// <summary>
    /// The values. From the query-string form they are sorted and distinct (upstream parses them into a
    /// set); from a <c>metav1.LabelSelector</c> they are as written. Empty for Exists and DoesNotExist.
    /// </summary>
    public ImmutableArray<string> Values { get; }

    /// <summary>Whether a label set satisfies this requirement; a missing key satisfies only NotIn, NotEquals and DoesNotExist.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var exists = labels.TryGetValue(Key, out var value);
        switch (Operator)
        {
            case LabelSelectorOperator.Exists:
                return exists;
            case LabelSelectorOperator.DoesNotExist:
                return !exists;
            case LabelSelectorOperator.In or LabelSelectorOperator.Equals or LabelSelectorOperator.DoubleEquals:
                return exists && HasValue(value!);
            case LabelSelectorOperator.NotIn or LabelSelectorOperator.NotEquals:
                return !exists || !HasValue(value!);
            default:
                return exists && GoText.TryParseInt64(value, out var n) && Compare(n);
        }
    }

    /// <summary>
    /// As <see cref="Matches(IReadOnlyDictionary{string, string})"/>, against a JSON <c>metadata.labels</c>
    /// object; any other kind of element is a set without labels. Allocates nothing. A JSON null value
    /// reads as the empty string (as Go's decoder reads it); any other non-string value exists but equals
    /// no value.
    /// </summary>
    internal bool Matches(JsonElement labels)
    {
        JsonElement value = default;
        var exists = labels.ValueKind == JsonValueKind.Object && labels.TryGetProperty(_keyUtf8, out value);
        switch (Operator)
        {
            case LabelSelectorOperator.Exists:
                return exists;
            case LabelSelectorOperator.DoesNotExist:
                return !exists;
            case LabelSelectorOperator.In or LabelSelectorOperator.Equals or LabelSelectorOperator.DoubleEquals:
                return exists && HasValue(value);
            case LabelSelectorOperator.NotIn or LabelSelectorOperator.NotEquals:
                return !exists || !HasValue(value);
            default:
                return exists && TryParseInt64(value, out var n) && Compare(n);
        }
    }

    /// <summary>Upstream's text of one requirement: <c>!k</c>, <c>k</c>, <c>k=v</c>, <c>k in (a,b)</c>, <c>k&gt;1</c>...; values sorted.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Operator == LabelSelectorOperator.DoesNotExist)
        {
            sb.Append('!');
        }

        sb.Append(Key);
        switch (Operator)
        {
            case LabelSelectorOperator.Exists or LabelSelectorOperator.DoesNotExist:
                return sb.ToString();
            case LabelSelectorOperator.In:
                sb.Append(" in (");
                break;
            case LabelSelectorOperator.NotIn:
                sb.Append(" notin (");
                break;
            default:
                sb.Append(OperatorText(Operator));
                break;
        }

        if (Values.Length == 1)
        {
            sb.Append(Values[0]);
        }
        else
        {
            var sorted = Values.ToArray();
            Array.Sort(sorted, GoText.CompareCodePoints);
            sb.AppendJoin(',', sorted);
        }

        if (Operator is LabelSelectorOperator.In or LabelSelectorOperator.NotIn)
        {
            sb.Append(')');
        }

        return sb.ToString();
    }

    public bool Equals(LabelRequirement? other) =>
        other is not null && Key == other.Key && Operator == other.Operator && Values.AsSpan().SequenceEqual(other.Values.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as LabelRequirement);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Key);
        hash.Add(Operator);
        foreach (var v in Values)
        {
            hash.Add(v);
        }

        return hash.ToHashCode();
    }

    /// <summary>
    /// Validates and builds a requirement as upstream's <c>labels.NewRequirement</c> does: the key, the
    /// number of values the operator takes, Gt/Lt values that are integers, and every value a valid
    /// label value. On failure <paramref name="error"/> is upstream's aggregated message, whose paths
    /// (<c>key</c>, <c>values</c>, <c>values[0][key]</c>) are relative to the requirement.
    /// </summary>
    internal static bool TryCreate(string key, LabelSelectorOperator op, IReadOnlyList<string> values, out LabelRequirement? requirement, out string? error)
    {
        var errs = new List<string>();
        var keyErrs = LabelValidation.IsQualifiedName(key);
        if (keyErrs.Count != 0)
        {
            errs.Add(InvalidValue("key", GoText.Quote(key), string.Join("; ", keyErrs)));
        }

        // Upstream's converter hands NewRequirement a nil slice when there are no values.
        var slice = GoText.StringSliceLiteral(values, isNil: values.Count == 0);
        switch (op)
        {
            case LabelSelectorOperator.In or LabelSelectorOperator.NotIn:
                if (values.Count == 0)
                {
                    errs.Add(InvalidValue("values", slice, "for 'in', 'notin' operators, values set can't be empty"));
                }

                break;
            case LabelSelectorOperator.Equals or LabelSelectorOperator.DoubleEquals or LabelSelectorOperator.NotEquals:
                if (values.Count != 1)
                {
                    errs.Add(InvalidValue("values", slice, "exact-match compatibility requires one single value"));
                }

                break;
            case LabelSelectorOperator.Exists or LabelSelectorOperator.DoesNotExist:
                if (values.Count != 0)
                {
                    errs.Add(InvalidValue("values", slice, "values set must be empty for exists and does not exist"));
                }

                break;
            default:
                if (values.Count != 1)
                {
                    errs.Add(InvalidValue("values", slice, "for 'Gt', 'Lt' operators, exactly one value is required"));
                }

                for (var i = 0; i < values.Count; i++)
                {
                    if (!GoText.TryParseInt64(values[i], out _))
                    {
                        errs.Add(InvalidValue($"values[{i}]", GoText.Quote(values[i]), "for 'Gt', 'Lt' operators, the value must be an integer"));
                    }
                }

                break;
        }

        for (var i = 0; i < values.Count; i++)
        {
            var valueErrs = LabelValidation.IsValidLabelValue(values[i]);
            if (valueErrs.Count != 0)
            {
                errs.Add(InvalidValue($"values[{i}][{key}]", GoText.Quote(values[i]), string.Join("; ", valueErrs)));
            }
        }

        if (errs.Count != 0)
        {
            requirement = null;
            error = GoText.Aggregate(errs);
            return false;
        }

        requirement = new LabelRequirement(key, op, [.. values]);
        error = null;
        return true;
    }

    /// <summary>Upstream's <c>field.Invalid</c> text: <c>path: Invalid value: value: detail</c>.</summary>
    internal static string InvalidValue(string path, string renderedValue, string detail) => $"{path}: Invalid value: {renderedValue}: {detail}";

    // The operators written between key and value; set operators and existence are written apart.
    private static string OperatorText(LabelSelectorOperator op) => op switch
    {
        LabelSelectorOperator.Equals => "=",
        LabelSelectorOperator.DoubleEquals => "==",
        LabelSelectorOperator.NotEquals => "!=",
        LabelSelectorOperator.GreaterThan => ">",
        LabelSelectorOperator.LessThan => "<",
        _ => throw new UnreachableException(),
    };

    private bool Compare(long n) => Operator == LabelSelectorOperator.GreaterThan ? n > _bound : n < _bound;

    private bool HasValue(string value)
    {
        foreach (var v in Values)
        {
            if (string.Equals(v, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private bool HasValue(JsonElement value)
    {
        foreach (var v in _valuesUtf8)
        {
            if (value.ValueKind == JsonValueKind.String ? value.ValueEquals(v) : value.ValueKind == JsonValueKind.Null && v.Length == 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryParseInt64(JsonElement value, out long n)
    {
        n = 0;
        if (value.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        // The raw token still has its quotes; an escaped digit is rare enough to pay for a string.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        raw = raw[1..^1];
        return raw.Contains((byte)'\\') ? GoText.TryParseInt64(value.GetString(), out n) : GoText.TryParseInt64(raw, out n);
    }
}
