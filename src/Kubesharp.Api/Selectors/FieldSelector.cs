using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Selectors;

/// <summary>
/// A field selector as upstream Kubernetes v1.32 has it (<c>fields.Selector</c>): an AND of
/// <c>field=value</c>, <c>field==value</c> and <c>field!=value</c> terms, comma-separated. In a value,
/// <c>\</c> escapes <c>\</c>, <c>,</c> and <c>=</c>, the only characters upstream escapes; field names
/// are taken as written, up to the first operator, spaces included.
/// <para>
/// Contract: built by <see cref="Parse"/>, <see cref="TryParse"/> or <see cref="Transform"/>; once built,
/// immutable and safe to share and to match from any number of threads. The parser does not know which
/// fields a kind supports: the API server checks <see cref="Requirements"/> (or uses
/// <see cref="Transform"/>) and answers 400 for unknown fields, as upstream does. Matching throws
/// only what the field getter throws.
/// </para>
/// </summary>
public sealed class FieldSelector : IEquatable<FieldSelector>
{
    private FieldSelector(ImmutableArray<FieldRequirement> requirements) => Requirements = requirements;

    /// <summary>The selector that matches everything; what an absent or empty <c>fieldSelector</c> parameter means.</summary>
    public static FieldSelector Empty { get; } = new([]);

    /// <summary>The terms, in upstream's order (sorted by their text as written).</summary>
    public ImmutableArray<FieldRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.IsEmpty;

    /// <summary>Parses <c>a=b,c!=d,e==f</c>. Null or empty text, or only empty terms, give <see cref="Empty"/>.</summary>
    /// <exception cref="StatusException">BadRequest (400) with upstream's message for a term without an operator or a badly escaped value.</exception>
    public static FieldSelector Parse(string? selector) =>
        TryParse(selector, out var result, out var error) ? result : throw StatusException.BadRequest(error);

    /// <summary>As <see cref="Parse"/>, with the failure as a value: upstream's message in <paramref name="error"/>.</summary>
    public static bool TryParse(string? selector, [NotNullWhen(true)] out FieldSelector? result, [NotNullWhen(false)] out string? error)
    {
        result = Empty;
        error = null;
        if (string.IsNullOrEmpty(selector))
        {
            return true;
        }

        // Upstream sorts the raw terms before reading them, so both the order of the terms and which
        // error is reported first follow that order.
        var terms = SplitTerms(selector);
        terms.Sort(GoText.CompareCodePoints);
        var requirements = ImmutableArray.CreateBuilder<FieldRequirement>(terms.Count);
        foreach (var term in terms)
        {
            if (term.Length == 0)
            {
                continue;
            }

            if (!TrySplitTerm(term, out var field, out var op, out var rawValue))
            {
                result = null;
                error = $"invalid selector: '{selector}'; can't understand '{term}'";
                return false;
            }

            if (!TryUnescapeValue(rawValue, out var value, out error))
            {
                result = null;
                return false;
            }

            // Upstream drops a term whose field and value are both empty ("=" alone).
            if (field.Length != 0 || value.Length != 0)
            {
                requirements.Add(new FieldRequirement(field, op, value));
            }
        }

        result = requirements.Count == 0 ? Empty : new FieldSelector(requirements.DrainToImmutable());
        return true;
    }

    /// <summary>Upstream's <c>EscapeValue</c>: a literal value made safe to put after an operator.</summary>
    public static string EscapeValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', ',', '=') < 0)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 4);
        foreach (var c in value)
        {
            if (c is '\\' or ',' or '=')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>
    /// Whether every term holds, reading each field through <paramref name="getField"/> (null: the
    /// object has no such field, which reads as the empty string).
    /// </summary>
    public bool Matches(Func<string, string?> getField)
    {
        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(getField(requirement.Field)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// As <see cref="Matches(Func{string, string})"/>, with the object passed as state so that a static
    /// lambda can read it: nothing is allocated per object.
    /// </summary>
    public bool Matches<TState>(TState state, Func<TState, string, string?> getField)
    {
        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(getField(state, requirement.Field)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Upstream's <c>RequiresExactMatch</c>: the value of the first <c>=</c> term on
    /// <paramref name="field"/>, such as the name in <c>metadata.name=web</c>, for fast paths that fetch
    /// one object or one namespace. The full selector must still be matched against what they fetch.
    /// </summary>
    public bool RequiresExactMatch(string field, [NotNullWhen(true)] out string? value)
    {
        foreach (var requirement in Requirements)
        {
            if (requirement.Operator == FieldSelectorOperator.Equals && requirement.Field == field)
            {
                value = requirement.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>
    /// Upstream's <c>Transform</c>: a new selector whose every term is rewritten by
    /// <paramref name="transform"/> (field and value in, field and value out), dropping a term that comes
    /// out with both empty. The API server uses it to map field labels of a version and to refuse
    /// unsupported ones, by throwing from <paramref name="transform"/> (a <see cref="StatusException"/>
    /// such as BadRequest <c>field label not supported: X</c>), which propagates unchanged.
    /// </summary>
    public FieldSelector Transform(Func<string, string, (string Field, string Value)> transform)
    {
        var requirements = ImmutableArray.CreateBuilder<FieldRequirement>(Requirements.Length);
        foreach (var requirement in Requirements)
        {
            var (field, value) = transform(requirement.Field, requirement.Value);
            if (field.Length != 0 || value.Length != 0)
            {
                requirements.Add(requirement with { Field = field, Value = value });
            }
        }

        return requirements.Count == 0 ? Empty : new FieldSelector(requirements.DrainToImmutable());
    }

    /// <summary>Upstream's <c>String()</c>: the terms joined by commas, <c>==</c> written as <c>=</c>, values escaped. Parses back to an equal selector.</summary>
    public override string ToString() => string.Join(',', Requirements);

    public bool Equals(FieldSelector? other) => other is not null && Requirements.AsSpan().SequenceEqual(other.Requirements.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as FieldSelector);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var requirement in Requirements)
        {
            hash.Add(requirement);
        }

        return hash.ToHashCode();
    }

    // Commas split terms unless escaped; the escape stays in the term, to be read by TryUnescapeValue.
    private static List<string> SplitTerms(string selector)
    {
        var terms = new List<string>();
        var start = 0;
        var escaped = false;
        for (var i = 0; i < selector.Length; i++)
        {
            var c = selector[i];
            if (escaped)
            {
                escaped = false;
            }
            else if (c == '\\')
            {
                escaped = true;
            }
            else if (c == ',')
            {
                terms.Add(selector[start..i]);
                start = i + 1;
            }
        }

        terms.Add(selector[start..]);
        return terms;
    }

    // The first operator in the term splits it, trying "!=", then "==", then "=" at each position; the
    // field part has no escaping.
    private static bool TrySplitTerm(string term, out string field, out FieldSelectorOperator op, out string rawValue)
    {
        for (var i = 0; i < term.Length; i++)
        {
            var rest = term.AsSpan(i);
            var length = rest.StartsWith("!=") ? 2 : rest.StartsWith("==") ? 2 : rest.StartsWith("=") ? 1 : 0;
            if (length != 0)
            {
                field = term[..i];
                op = rest[0] == '!' ? FieldSelectorOperator.NotEquals : FieldSelectorOperator.Equals;
                rawValue = term[(i + length)..];
                return true;
            }
        }

        (field, op, rawValue) = ("", FieldSelectorOperator.Equals, "");
        return false;
    }

    private static bool TryUnescapeValue(string raw, out string value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        value = raw;
        if (raw.AsSpan().IndexOfAny('\\', ',', '=') < 0)
        {
            return true;
        }

        var sb = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c is ',' or '=')
            {
                // Upstream prints the character's code point here ("61" for '='), not the character.
                error = $"invalid field selector: unescaped character in value: {(int)c}";
                return false;
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (i + 1 == raw.Length)
            {
                error = "invalid field selector: invalid escape sequence: \\";
                return false;
            }

            var next = raw[++i];
            if (next is not ('\\' or ',' or '='))
            {
                // Go reads by code point: an escaped astral character is shown whole.
                var shown = char.IsHighSurrogate(next) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1]) ? raw.Substring(i, 2) : next.ToString();
                error = "invalid field selector: invalid escape sequence: \\" + shown;
                return false;
            }

            sb.Append(next);
        }

        value = sb.ToString();
        return true;
    }
}
